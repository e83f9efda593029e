using System.Text;
using System.Text.Json;

namespace Runner.Core.Agent.Prompting;

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
