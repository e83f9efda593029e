using System.Text;
using Runner.Core.Agent.Comments;

namespace Runner.Core.Agent.Triage;

/// <summary>Writes the triage comment from checked data; only the prose comes from the model.</summary>
internal static class TriageRenderer
{
    public static string Render(CheckedTriage triage, LabelOutcome labelOutcome, string unreadableText)
    {
        var text = new StringBuilder("### Triage\n\n");
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
        text.Append(Labels(triage.Labels, labelOutcome)).Append('\n');

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

    private static string Labels(IReadOnlyList<string> labels, LabelOutcome outcome)
    {
        if (labels.Count == 0)
        {
            return "**Labels:** none of the repository's labels fits.";
        }

        var list = string.Join(", ", labels.Select(MarkdownText.Code));
        return outcome switch
        {
            LabelOutcome.Applied => $"**Labels applied:** {list}",
            LabelOutcome.ApplyRefused => $"**Suggested labels:** {list} (Runner may not add labels in this repository, so a maintainer has to.)",
            _ => $"**Suggested labels:** {list}",
        };
    }

    private static string Escape(string text) => text.Replace("[", "\\[", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal);
}
