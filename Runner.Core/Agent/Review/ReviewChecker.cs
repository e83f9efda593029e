using System.Globalization;
using System.Text;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Prompting;
using Runner.Core.GitHub.PullRequests;

namespace Runner.Core.Agent.Review;

/// <summary>The review as it will be posted: only inline comments whose anchors GitHub accepts.</summary>
/// <param name="OutsideDiff">Findings whose path or line is not on the RIGHT side of a hunk; they go into the summary.</param>
/// <param name="Repeated">Findings dropped because an earlier Runner review already posted one at that path and line.</param>
internal sealed record CheckedReview(
    string Summary,
    IReadOnlyList<InlineComment> Comments,
    IReadOnlyList<ReviewFinding> OutsideDiff,
    IReadOnlyList<ReviewFinding> Repeated)
{
    /// <summary>The review body: marker, summary, then the findings that could not be anchored ("outside the diff").</summary>
    public string Body(string headSha)
    {
        var body = new StringBuilder(ReviewMarkers.Review(headSha)).Append('\n');
        body.Append(Summary.Length > 0 ? Summary : "No summary was given.").Append('\n');
        if (OutsideDiff.Count > 0)
        {
            body.Append("\n**Outside the diff**\n");
            foreach (var finding in OutsideDiff)
            {
                body.Append(CultureInfo.InvariantCulture,
                    $"- **{ReviewChecker.Label(finding.Severity)}** {MarkdownText.Code(finding.Path)} line {finding.Line}: {ReviewChecker.Prose(MarkdownText.OneLine(finding.Body, 600))}\n");
            }
        }

        return body.ToString().TrimEnd('\n');
    }

    public ReviewDraft ToDraft(string headSha) => new(headSha, Body(headSha), Comments);
}

/// <summary>Checks a model's review against the diff before anything is posted.</summary>
internal static class ReviewChecker
{
    /// <param name="diff">The reviewed files' patches by path (the files the model was shown).</param>
    /// <param name="alreadyPosted">Anchors of findings earlier Runner reviews posted on this pull request.</param>
    public static CheckedReview Check(ReviewAnswer answer, IReadOnlyDictionary<string, FilePatch> diff, IReadOnlySet<FindingAnchor> alreadyPosted)
    {
        var comments = new List<InlineComment>();
        var outside = new List<ReviewFinding>();
        var repeated = new List<ReviewFinding>();
        var anchored = new HashSet<FindingAnchor>();
        foreach (var finding in answer.Findings)
        {
            var anchor = new FindingAnchor(finding.Path, finding.Line);
            if (!diff.TryGetValue(finding.Path, out var patch) || !patch.RightLines.Contains(finding.Line))
            {
                outside.Add(finding);
            }
            else if (alreadyPosted.Contains(anchor) || !anchored.Add(anchor))
            {
                repeated.Add(finding);
            }
            else
            {
                comments.Add(new InlineComment(finding.Path, finding.Line, CommentBody(finding)));
            }
        }

        return new CheckedReview(Prose(answer.Summary), comments, outside, repeated);
    }

    /// <summary>Anchors of Runner's earlier findings, read from their hidden markers.</summary>
    public static IReadOnlySet<FindingAnchor> PostedAnchors(IEnumerable<PostedReviewComment> comments, Func<PostedReviewComment, bool> isRunner) =>
        comments.Where(isRunner).Select(c => ReviewMarkers.FindingAnchor(c.Body)).OfType<FindingAnchor>().ToHashSet();

    public static string CommentBody(ReviewFinding finding)
    {
        var body = new StringBuilder(ReviewMarkers.Finding(new FindingAnchor(finding.Path, finding.Line))).Append('\n');
        body.Append(CultureInfo.InvariantCulture, $"**{Label(finding.Severity)}:** {Prose(finding.Body)}");
        if (finding.Suggestion is { } suggestion)
        {
            var code = UntrustedText.RemoveInvisible(suggestion).TrimEnd('\n');
            var fence = "```";
            while (code.Contains(fence, StringComparison.Ordinal))
            {
                fence += "`";
            }

            body.Append("\n\n").Append(fence).Append("suggestion\n").Append(code).Append('\n').Append(fence);
        }

        return body.ToString();
    }

    internal static string Label(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Bug => "Bug",
        FindingSeverity.Nit => "Nit",
        _ => "Risk",
    };

    /// <summary>Model prose as posted: no hidden text, no forged markers, nobody pinged.</summary>
    internal static string Prose(string text) => MentionGuard.Neutralise(MarkdownText.ModelProse(text));
}
