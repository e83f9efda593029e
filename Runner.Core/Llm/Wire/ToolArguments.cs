using System.Text.Json;

namespace Runner.Core.Llm.Wire;

/// <summary>
/// Normalises tool-call arguments to a JSON object: native Ollama sends an object, OpenAI-compatible servers a
/// JSON string (sometimes empty, sometimes encoded twice).
/// </summary>
internal static class ToolArguments
{
    /// <summary>Holds arguments the model sent that are not a JSON object, so the tool can say what was wrong.</summary>
    public const string UnparsedProperty = "_unparsed_arguments";

    public static JsonElement Empty { get; } = JsonSerializer.Deserialize<JsonElement>("{}");

    public static JsonElement FromElement(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => value.Clone(),
        JsonValueKind.String => FromString(value.GetString()),
        JsonValueKind.Null or JsonValueKind.Undefined => Empty,
        _ => Unparsed(value.GetRawText()),
    };

    public static JsonElement FromString(string? text, bool decodedOnce = false)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Empty;
        }

        JsonElement parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<JsonElement>(text);
        }
        catch (JsonException)
        {
            return Unparsed(text);
        }

        return parsed.ValueKind switch
        {
            JsonValueKind.Object => parsed,
            JsonValueKind.String when !decodedOnce => FromString(parsed.GetString(), decodedOnce: true),
            JsonValueKind.Null => Empty,
            _ => Unparsed(text),
        };
    }

    private static JsonElement Unparsed(string raw) =>
        JsonSerializer.SerializeToElement(new Dictionary<string, string> { [UnparsedProperty] = raw });
}
