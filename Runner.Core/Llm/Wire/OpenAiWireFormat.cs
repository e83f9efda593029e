using System.Text;
using System.Text.Json;

namespace Runner.Core.Llm.Wire;

/// <summary>
/// The OpenAI-compatible API: <c>POST /v1/chat/completions</c> with <c>stream: true</c> and
/// <c>stream_options.include_usage</c>, answered by server-sent events whose <c>data:</c> lines carry
/// <c>choices[0].delta</c> (content, and tool calls whose JSON-string arguments arrive in fragments keyed by
/// <c>index</c>), <c>usage</c> in the last chunk, and <c>data: [DONE]</c> at the end.
/// </summary>
internal sealed class OpenAiWireFormat : IWireFormat
{
    public string StreamMediaType => "text/event-stream";

    public byte[] SerializeRequest(ChatRequest request, string model, double temperature) =>
        WireJson.WriteChatRequest(request, model, WriteToolParts, writer =>
        {
            writer.WriteStartObject("stream_options");
            writer.WriteBoolean("include_usage", true);
            writer.WriteEndObject();
            writer.WriteNumber("temperature", temperature);
        });

    public async Task<StreamedAnswer> ReadAnswerAsync(Stream body, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        var state = new StreamState();
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (data.Length == 0 && state.Chunks == 0 && line.TrimStart().StartsWith('{'))
            {
                // A server that ignores "stream": true answers with one chat.completion object.
                return ReadWholeCompletion(line + await reader.ReadToEndAsync(cancellationToken));
            }

            if (line.Length == 0)
            {
                if (Dispatch(data, state))
                {
                    return state.ToAnswer();
                }

                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                // SSE joins the data lines of one event with newlines; the leading space after the colon is not data.
                var value = line.AsSpan(5);
                if (value.StartsWith(" "))
                {
                    value = value[1..];
                }

                if (data.Length > 0)
                {
                    data.Append('\n');
                }

                data.Append(value);
            }

            // Comments (": keep-alive"), "event:", "id:" and "retry:" lines carry nothing for us.
        }

        if (Dispatch(data, state) || state.Finished)
        {
            return state.ToAnswer();
        }

        throw new LlmStreamException($"stream ended after {state.Chunks} chunk(s) without finish_reason or data: [DONE]");
    }

    public IReadOnlyList<string> ReadModels(JsonElement root) =>
        root.TryGetProperty("data", out var models) && models.ValueKind == JsonValueKind.Array
            ? models.EnumerateArray().Select(m => WireJson.GetString(m, "id")).OfType<string>().ToList()
            : [];

    private static StreamedAnswer ReadWholeCompletion(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
        {
            throw new LlmStreamException($"error in answer: {WireJson.ErrorText(error)}");
        }

        var message = root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
            && choices[0].TryGetProperty("message", out var m)
                ? m
                : throw new LlmStreamException("answer has no choices[0].message");
        var toolCalls = message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array
            ? calls.EnumerateArray()
                .Where(c => c.TryGetProperty("function", out var f) && WireJson.GetString(f, "name") is not null)
                .Select(c => new ToolCall(
                    WireJson.GetString(c, "id") ?? WireJson.NewToolCallId(),
                    WireJson.GetString(c.GetProperty("function"), "name")!,
                    c.GetProperty("function").TryGetProperty("arguments", out var a) ? ToolArguments.FromElement(a) : ToolArguments.Empty))
                .ToList()
            : [];
        var usage = root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object
            ? new TokenUsage(WireJson.GetInt(u, "prompt_tokens"), WireJson.GetInt(u, "completion_tokens"))
            : TokenUsage.None;
        return new StreamedAnswer(WireJson.GetString(message, "content") ?? string.Empty, toolCalls, usage, WireJson.GetString(root, "model"), 1,
            WireJson.GetString(choices[0], "finish_reason"), NonEmpty(WireJson.GetString(message, "refusal")));
    }

    /// <summary>Handles one complete event; true when it was <c>[DONE]</c>.</summary>
    private static bool Dispatch(StringBuilder data, StreamState state)
    {
        if (data.Length == 0)
        {
            return false;
        }

        var payload = data.ToString();
        data.Clear();
        if (payload.Trim() == "[DONE]")
        {
            return true;
        }

        state.Chunks++;
        using var document = JsonDocument.Parse(payload);
        state.Read(document.RootElement);
        return false;
    }

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static void WriteToolParts(Utf8JsonWriter writer, ChatMessage message)
    {
        if (message.ToolCalls is { Count: > 0 } calls)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var call in calls)
            {
                writer.WriteStartObject();
                writer.WriteString("id", call.Id);
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", call.Name);
                // OpenAI carries arguments as a JSON string, not as an object.
                writer.WriteString("arguments", ToolArguments.FromElement(call.Arguments).GetRawText());
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (message.Role == ChatRole.Tool && message.ToolCallId is { } callId)
        {
            writer.WriteString("tool_call_id", callId);
        }
    }

    /// <summary>What the chunks have said so far; tool calls are assembled per <c>index</c>.</summary>
    private sealed class StreamState
    {
        private readonly StringBuilder content = new();
        private readonly StringBuilder refusal = new();
        private readonly SortedDictionary<int, ToolCallParts> toolCalls = [];
        private TokenUsage usage = TokenUsage.None;
        private string? model;
        private string? finishReason;

        public int Chunks { get; set; }

        public bool Finished { get; private set; }

        public void Read(JsonElement root)
        {
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                throw new LlmStreamException($"error in stream after {Chunks - 1} chunk(s): {WireJson.ErrorText(error)}");
            }

            model ??= WireJson.GetString(root, "model");
            if (root.TryGetProperty("usage", out var usageElement) && usageElement.ValueKind == JsonValueKind.Object)
            {
                usage = new TokenUsage(WireJson.GetInt(usageElement, "prompt_tokens"), WireJson.GetInt(usageElement, "completion_tokens"));
            }

            if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var choice in choices.EnumerateArray())
            {
                if (WireJson.GetInt(choice, "index") != 0)
                {
                    continue;
                }

                if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
                {
                    content.Append(WireJson.GetString(delta, "content"));
                    refusal.Append(WireJson.GetString(delta, "refusal"));
                    ReadToolCallFragments(delta);
                }

                if (WireJson.GetString(choice, "finish_reason") is { } reason)
                {
                    finishReason = reason;
                    Finished = true;
                }
            }
        }

        public StreamedAnswer ToAnswer() => new(
            content.ToString(),
            toolCalls.Values.Where(c => c.Name.Length > 0).Select(c => c.ToToolCall()).ToList(),
            usage,
            model,
            Chunks,
            finishReason,
            NonEmpty(refusal.ToString()));

        private void ReadToolCallFragments(JsonElement delta)
        {
            if (!delta.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var call in calls.EnumerateArray())
            {
                var index = WireJson.GetInt(call, "index");
                if (!toolCalls.TryGetValue(index, out var parts))
                {
                    parts = new ToolCallParts();
                    toolCalls[index] = parts;
                }

                parts.Id ??= WireJson.GetString(call, "id");
                if (call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    parts.Name.Append(WireJson.GetString(function, "name"));
                    if (function.TryGetProperty("arguments", out var arguments))
                    {
                        // Fragments are pieces of one JSON string; a server that sends an object sends it whole.
                        parts.Arguments.Append(arguments.ValueKind == JsonValueKind.String ? arguments.GetString() : arguments.GetRawText());
                    }
                }
            }
        }
    }

    private sealed class ToolCallParts
    {
        public string? Id { get; set; }

        public StringBuilder Name { get; } = new();

        public StringBuilder Arguments { get; } = new();

        public ToolCall ToToolCall() =>
            new(Id ?? WireJson.NewToolCallId(), Name.ToString(), ToolArguments.FromString(Arguments.ToString()));
    }
}
