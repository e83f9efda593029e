using System.Text;
using System.Text.Json;

namespace Runner.Core.Llm.Wire;

/// <summary>
/// Ollama's native API: <c>POST /api/chat</c> with <c>{model, messages, stream, tools, options:{temperature}}</c>,
/// answered by NDJSON lines <c>{message:{content, tool_calls}, done}</c>; the last line has <c>done: true</c>
/// and the token counts <c>prompt_eval_count</c> / <c>eval_count</c>, and <c>done_reason</c>: "stop", "length"
/// (cut off by <c>num_predict</c> or the context window) or "load" (the model was loaded, nothing generated).
/// </summary>
/// <param name="numCtx"><c>options.num_ctx</c>, the context window a local <c>ollama serve</c> allocates; null = the server's default.</param>
internal sealed class NativeWireFormat(int? numCtx = null) : IWireFormat
{
    public string StreamMediaType => "application/x-ndjson";

    public byte[] SerializeRequest(ChatRequest request, string model, double temperature) =>
        WireJson.WriteChatRequest(request, model, WriteToolParts, writer =>
        {
            writer.WriteStartObject("options");
            writer.WriteNumber("temperature", temperature);
            if (numCtx is { } contextWindow)
            {
                writer.WriteNumber("num_ctx", contextWindow);
            }

            writer.WriteEndObject();
        });

    public async Task<StreamedAnswer> ReadAnswerAsync(Stream body, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        var content = new StringBuilder();
        var toolCalls = new List<ToolCall>();
        string? model = null;
        var chunks = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            chunks++;
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                throw new LlmStreamException($"error in stream after {chunks - 1} chunk(s): {WireJson.ErrorText(error)}");
            }

            model ??= WireJson.GetString(root, "model");
            if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                content.Append(WireJson.GetString(message, "content"));
                ReadToolCalls(message, toolCalls);
            }

            if (root.TryGetProperty("done", out var done) && done.ValueKind == JsonValueKind.True)
            {
                var reason = WireJson.GetString(root, "done_reason");
                if (reason == "load" && content.Length == 0 && toolCalls.Count == 0)
                {
                    // Ollama only loaded the model and generated nothing: another attempt gets the answer.
                    throw new LlmStreamException("stream ended with done_reason \"load\": the model was loaded but generated nothing");
                }

                var usage = new TokenUsage(WireJson.GetInt(root, "prompt_eval_count"), WireJson.GetInt(root, "eval_count"));
                return new StreamedAnswer(content.ToString(), toolCalls, usage, model, chunks, reason);
            }
        }

        throw new LlmStreamException($"stream ended after {chunks} chunk(s) without the final \"done\": true line");
    }

    public IReadOnlyList<string> ReadModels(JsonElement root) =>
        root.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Array
            ? models.EnumerateArray()
                .Select(m => WireJson.GetString(m, "name") ?? WireJson.GetString(m, "model"))
                .OfType<string>()
                .ToList()
            : [];

    private static void WriteToolParts(Utf8JsonWriter writer, ChatMessage message)
    {
        if (message.ToolCalls is { Count: > 0 } calls)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var call in calls)
            {
                writer.WriteStartObject();
                writer.WriteStartObject("function");
                writer.WriteString("name", call.Name);
                writer.WritePropertyName("arguments");
                ToolArguments.FromElement(call.Arguments).WriteTo(writer);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (message.Role == ChatRole.Tool && message.ToolName is { } toolName)
        {
            // Native Ollama matches a tool result to its call by tool name; it has no call ids.
            writer.WriteString("tool_name", toolName);
        }
    }

    private static void ReadToolCalls(JsonElement message, List<ToolCall> toolCalls)
    {
        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var call in calls.EnumerateArray())
        {
            if (!call.TryGetProperty("function", out var function) || WireJson.GetString(function, "name") is not { } name)
            {
                continue;
            }

            var arguments = function.TryGetProperty("arguments", out var raw) ? ToolArguments.FromElement(raw) : ToolArguments.Empty;
            toolCalls.Add(new ToolCall(WireJson.GetString(call, "id") ?? WireJson.NewToolCallId(), name, arguments));
        }
    }
}
