using System.Globalization;
using System.Text.Json;

namespace Runner.Core.Agent.Tools;

/// <summary>Reads a tool call's arguments leniently: models send numbers as strings and booleans as text.</summary>
internal static class ToolArguments
{
    public static string? String(JsonElement arguments, string name) =>
        Get(arguments, name) is { } value
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;

    public static int? Int(JsonElement arguments, string name) => Get(arguments, name) switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var i) => i,
        { ValueKind: JsonValueKind.String } s when int.TryParse(s.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => i,
        _ => null,
    };

    public static bool Bool(JsonElement arguments, string name) => Get(arguments, name) switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.String } s => string.Equals(s.GetString(), "true", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static JsonElement? Get(JsonElement arguments, string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value)
            && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
            ? value
            : null;
}
