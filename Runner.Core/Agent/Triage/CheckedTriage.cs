using Octokit;
using Runner.Core.Agent.Comments;

namespace Runner.Core.Agent.Triage;

internal sealed record DuplicateLink(CandidateIssue Issue, string Reason);

/// <summary>
/// The triage as Runner will post it: labels that exist (with their real spelling), duplicates that are real
/// candidates, and what the model claimed that did not survive the check.
/// </summary>
/// <param name="Readable">False when the model's answer held no usable JSON; the comment says so.</param>
internal sealed record CheckedTriage(
    bool Readable,
    string Summary,
    IReadOnlyList<string> Labels,
    IReadOnlyList<DuplicateLink> Duplicates,
    IReadOnlyList<string> MissingInformation,
    IReadOnlyList<string> DroppedLabels)
{
    public const int MaxLabels = 5;
    public const int MaxDuplicates = 3;
    public const int MaxMissing = 6;

    public static CheckedTriage Check(TriageAnswer? answer, IReadOnlyList<Label> labels, IReadOnlyList<CandidateIssue> candidates, int issueNumber)
    {
        if (answer is null)
        {
            return new CheckedTriage(false, string.Empty, [], [], [], []);
        }

        var existing = labels.GroupBy(l => l.Name.Trim(), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Name, StringComparer.OrdinalIgnoreCase);
        var kept = new List<string>();
        var dropped = new List<string>();
        foreach (var label in answer.Labels.Select(l => l.Trim().Trim('`', '"', '\'')).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (existing.TryGetValue(label, out var name))
            {
                kept.Add(name);
            }
            else
            {
                dropped.Add(label);
            }
        }

        var byNumber = candidates.ToDictionary(c => c.Number);
        var duplicates = answer.Duplicates
            .Where(d => d.Number != issueNumber && byNumber.ContainsKey(d.Number))
            .DistinctBy(d => d.Number)
            .Take(MaxDuplicates)
            .Select(d => new DuplicateLink(byNumber[d.Number], MarkdownText.OneLine(d.Reason, 200)))
            .ToList();
        var missing = answer.MissingInformation
            .Select(m => MarkdownText.OneLine(m, 200))
            .Where(m => m.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Take(MaxMissing)
            .ToList();
        return new CheckedTriage(true, MarkdownText.ModelProse(answer.Summary), kept.Take(MaxLabels).ToList(), duplicates, missing, dropped);
    }
}
