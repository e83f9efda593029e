using System.Text.Json;
using Runner.Core.Agent.Prompting;

namespace Runner.Core.Agent.Review;

internal enum FindingSeverity
{
    Bug,
    Risk,
    Nit,
}

/// <param name="Suggestion">Replacement text for the anchored line, or null.</param>
internal sealed record ReviewFinding(string Path, int Line, FindingSeverity Severity, string Body, string? Suggestion);

/// <summary>The final answer of a review run, as the model gave it (nothing checked yet).</summary>
internal sealed record ReviewAnswer(string Summary, IReadOnlyList<ReviewFinding> Findings);

/// <summary>
/// Reads the review contract <c>{"summary": "...", "findings": [{"path", "line", "severity", "body", "suggestion"?}]}</c>
/// leniently: code fences and prose around the object, trailing commas, a line number as a string, an unknown
/// severity (read as <c>risk</c>). Findings without a path, a positive line or a body are dropped.
/// </summary>
internal static class ReviewAnswerParser
{
    /// <summary>Sent once when the final answer could not be read, before reporting the failure honestly.</summary>
    public const string RepairPrompt =
        "Your last answer could not be read as the review JSON. Answer again with only one JSON object, no prose and no code fence: "
        + "{\"summary\": \"...\", \"findings\": [{\"path\": \"file path from the diff\", \"line\": 12, \"severity\": \"bug|risk|nit\", "
        + "\"body\": \"what is wrong and why\", \"suggestion\": \"optional replacement text for that line\"}]}. "
        + "Use only new-side line numbers shown in the diff. An empty findings list is fine.";

    public static ReviewAnswer? TryParse(string text) =>
        JsonAnswerText.FirstObject(text, root => Read(root));

    private static ReviewAnswer? Read(JsonElement root)
    {
        var summary = JsonAnswerText.String(root, "summary");
        var findingsElement = JsonAnswerText.Property(root, "findings");
        if (summary is null && findingsElement is not { ValueKind: JsonValueKind.Array })
        {
            return null;
        }

        var findings = findingsElement is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Select(Finding).OfType<ReviewFinding>().ToList()
            : [];
        return new ReviewAnswer(summary ?? string.Empty, findings);
    }

    private static ReviewFinding? Finding(JsonElement item)
    {
        var path = JsonAnswerText.String(item, "path")?.Trim().TrimStart('/');
        var line = JsonAnswerText.Int(item, "line");
        var body = JsonAnswerText.String(item, "body") ?? JsonAnswerText.String(item, "comment");
        if (string.IsNullOrEmpty(path) || line is not > 0 || string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        var severity = (JsonAnswerText.String(item, "severity") ?? string.Empty).Trim().ToLowerInvariant() switch
        {
            "bug" => FindingSeverity.Bug,
            "nit" => FindingSeverity.Nit,
            _ => FindingSeverity.Risk,
        };
        var suggestion = JsonAnswerText.String(item, "suggestion");
        return new ReviewFinding(path, line.Value, severity, body.Trim(), string.IsNullOrEmpty(suggestion) ? null : suggestion);
    }
}
