using System.Text;
using Runner.Core.Agent.Comments;

namespace Runner.Core.Agent.Triage;

/// <summary>Writes the triage comment from checked data; only the prose comes from the model.</summary>
internal static class TriageRenderer
{
    /// <param name="refusal">The model's refusal, when it refused instead of answering.</param>
    public static string Render(CheckedTriage triage, LabelResult labels, string unreadableText, string? refusal = null)
    {
        var text = new StringBuilder("### Triage\n\n");
        if (!triage.Readable && refusal is not null && unreadableText.Length == 0)
        {
            text.Append("The model refused to triage this issue, so Runner suggests no labels or duplicates this time.\n\n")
                .Append("**The model refused:**\n\n").Append(MarkdownText.Quote(MarkdownText.ModelProse(refusal), 2_000));
            return text.ToString();
        }

        if (!triage.Readable)
        {
            text.Append("Runner could not read the model's triage answer, so it suggests no labels or duplicates this time.");
            var prose = MarkdownText.OneLine(unreadableText, 600);
            if (prose.Length > 0)
            {
                text.Append("\n\nThe model said:\n\n").Append(MarkdownText.Quote(prose, 600));
            }

            return text.ToString();
        }

        text.Append(triage.Summary.Length > 0 ? triage.Summary : "_No summary._").Append("\n\n");
        text.Append(Labels(triage.Labels, labels)).Append('\n');

        if (triage.Duplicates.Count > 0)
        {
            text.Append("\n**Possible duplicates**\n");
            foreach (var duplicate in triage.Duplicates)
            {
                text.Append($"- #{duplicate.Issue.Number} [{Escape(MarkdownText.OneLine(duplicate.Issue.Title, 120))}]({duplicate.Issue.HtmlUrl})");
                text.Append(duplicate.Issue.IsOpen ? string.Empty : " (closed)");
                text.Append(duplicate.Reason.Length > 0 ? $": {duplicate.Reason}\n" : "\n");
            }
        }

        if (triage.MissingInformation.Count > 0)
        {
            text.Append("\n**Could you add**\n");
            foreach (var item in triage.MissingInformation)
            {
                text.Append($"- {item}\n");
            }
        }

        return text.ToString().TrimEnd();
    }

    private static string Labels(IReadOnlyList<string> labels, LabelResult result)
    {
        if (labels.Count == 0)
        {
            return "**Labels:** none of the repository's labels fits.";
        }

        var list = string.Join(", ", labels.Select(MarkdownText.Code));
        return result.Outcome switch
        {
            LabelOutcome.Applied => $"**Labels applied:** {list}",
            LabelOutcome.ApplyRefused => $"**Suggested labels:** {list} (Runner may not add labels in this repository, so a maintainer has to.)",
            LabelOutcome.ApplyRejected => $"**Suggested labels:** {list} (GitHub rejected them: {MarkdownText.OneLine(result.GitHubSaid, 300)}; a maintainer has to add them.)",
            _ => $"**Suggested labels:** {list}",
        };
    }

    private static string Escape(string text) => text.Replace("[", "\\[", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal);
}
