using System.Buffers;
using System.Text.Json;

namespace Runner.Core.Llm.Wire;

/// <summary>JSON pieces both dialects share: roles, tool definitions, reading error texts and numbers.</summary>
internal static class WireJson
{
    public static string RoleName(ChatRole role) => role switch
    {
        ChatRole.System => "system",
        ChatRole.User => "user",
        ChatRole.Assistant => "assistant",
        ChatRole.Tool => "tool",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The request both dialects share: <c>{model, messages:[{role, content, …}], stream: true, …, tools}</c>.
    /// <paramref name="writeToolParts"/> adds a message's dialect-specific tool fields, <paramref name="writeSettings"/>
    /// the dialect's sampling and stream options.
    /// </summary>
    public static byte[] WriteChatRequest(
        ChatRequest request, string model, Action<Utf8JsonWriter, ChatMessage> writeToolParts, Action<Utf8JsonWriter> writeSettings) =>
        Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("model", model);
            writer.WriteStartArray("messages");
            foreach (var message in request.Messages)
            {
                writer.WriteStartObject();
                writer.WriteString("role", RoleName(message.Role));
                writer.WriteString("content", message.Content);
                writeToolParts(writer, message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteBoolean("stream", true);
            writeSettings(writer);
            WriteTools(writer, request.Tools);
            writer.WriteEndObject();
        });

    /// <summary>Both dialects take <c>[{"type":"function","function":{name, description, parameters}}]</c>.</summary>
    private static void WriteTools(Utf8JsonWriter writer, IReadOnlyList<ToolDefinition>? tools)
    {
        if (tools is not { Count: > 0 })
        {
            return;
        }

        writer.WriteStartArray("tools");
        foreach (var tool in tools)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WriteString("name", tool.Name);
            writer.WriteString("description", tool.Description);
            writer.WritePropertyName("parameters");
            if (tool.Parameters.ValueKind == JsonValueKind.Object)
            {
                tool.Parameters.WriteTo(writer);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteString("type", "object");
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>An error value as servers send it: a string, or an object with a <c>message</c>.</summary>
    public static string ErrorText(JsonElement error) => error.ValueKind switch
    {
        JsonValueKind.String => error.GetString() ?? string.Empty,
        JsonValueKind.Object when error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String =>
            message.GetString() ?? string.Empty,
        _ => error.GetRawText(),
    };

    public static string? GetString(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty(property, out var value)
        && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static int GetInt(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty(property, out var value)
        && value.ValueKind == JsonValueKind.Number
        && value.TryGetInt32(out var number)
            ? number
            : 0;

    public static string NewToolCallId() => "call_" + Guid.NewGuid().ToString("N")[..12];
}
