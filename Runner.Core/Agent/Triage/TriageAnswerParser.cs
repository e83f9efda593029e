using System.Globalization;
using System.Text.Json;
using Runner.Core.Agent.Prompting;

namespace Runner.Core.Agent.Triage;

/// <summary>
/// Reads the model's JSON triage leniently: code fences, prose around the object, trailing commas, numbers
/// as strings ("#12"), a string where a list was asked for. Anything it cannot read is left out rather than guessed.
/// </summary>
internal static class TriageAnswerParser
{
    public static TriageAnswer? TryParse(string text) =>
        JsonAnswerText.FirstObject(text, root => root.ValueKind == JsonValueKind.Object ? Read(root) : null);

    private static TriageAnswer? Read(JsonElement root)
    {
        var summary = Property(root, "summary") is { ValueKind: JsonValueKind.String } s ? s.GetString() ?? string.Empty : string.Empty;
        var labels = Strings(Property(root, "labels"), "name");
        var duplicates = Items(Property(root, "duplicates")).Select(Duplicate).OfType<DuplicateClaim>().ToList();
        var missing = Strings(Property(root, "missing_information") ?? Property(root, "missing_info") ?? Property(root, "missing"), "text");
        return summary.Length == 0 && labels.Count == 0 && duplicates.Count == 0 && missing.Count == 0
            ? null
            : new TriageAnswer(summary, labels, duplicates, missing);
    }

    private static DuplicateClaim? Duplicate(JsonElement item) => item.ValueKind switch
    {
        JsonValueKind.Object => Number(Property(item, "number") ?? Property(item, "issue")) is { } n
            ? new DuplicateClaim(n, Property(item, "reason") is { ValueKind: JsonValueKind.String } r ? r.GetString() ?? string.Empty : string.Empty)
            : null,
        _ => Number(item) is { } number ? new DuplicateClaim(number, string.Empty) : null,
    };

    private static int? Number(JsonElement? element) => element switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var i) => i,
        { ValueKind: JsonValueKind.String } s when int.TryParse(s.GetString()?.Trim().TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var i) => i,
        _ => null,
    };

    private static List<string> Strings(JsonElement? element, string objectKey) => element switch
    {
        { ValueKind: JsonValueKind.String } s => (s.GetString() ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray()
            .Select(i => i.ValueKind == JsonValueKind.String ? i.GetString()
                : Property(i, objectKey) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null)
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .Select(v => v!.Trim())
            .ToList(),
        _ => [],
    };

    private static List<JsonElement> Items(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Array } array ? [.. array.EnumerateArray()] : [];

    private static JsonElement? Property(JsonElement element, string name) => JsonAnswerText.Property(element, name);
}
