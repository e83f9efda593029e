using System.Text;
using System.Text.Json;

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

/// <summary>Finds the model's JSON object in an answer: fenced or not, with prose before or after it.</summary>
internal static class JsonAnswerText
{
    private static readonly JsonReaderOptions Options = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>
    /// Tries each <c>{</c> of the text in turn; the JSON reader reads exactly one value from there, so whatever
    /// follows the object (a closing fence, prose) does not matter. Returns the first object <paramref name="read"/> accepts.
    /// </summary>
    public static T? FirstObject<T>(string text, Func<JsonElement, T?> read)
        where T : class
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var start = Array.IndexOf(bytes, (byte)'{'); start >= 0; start = Array.IndexOf(bytes, (byte)'{', start + 1))
        {
            var reader = new Utf8JsonReader(bytes.AsSpan(start), Options);
            try
            {
                using var document = JsonDocument.ParseValue(ref reader);
                if (read(document.RootElement) is { } value)
                {
                    return value;
                }
            }
            catch (JsonException)
            {
                // Not an object that parses from here: try the next brace.
            }
        }

        return null;
    }

    public static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    public static string? String(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static int? Int(JsonElement element, string name) => Property(element, name) switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var i) => i,
        { ValueKind: JsonValueKind.String } s when int.TryParse(s.GetString()?.Trim(), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var i) => i,
        _ => null,
    };
}
