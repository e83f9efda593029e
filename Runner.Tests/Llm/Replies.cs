using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Runner.Tests.Llm;

/// <summary>A tool call as the stand-in sends it; <paramref name="ArgumentsJson"/> is a JSON object's text.</summary>
public sealed record ScriptedToolCall(string Name, string ArgumentsJson, string? Id = null);

/// <summary>Scripted answers of the stand-in LLM server, streamed chunk by chunk with a flush after each one.</summary>
public static class Replies
{
    public const string ModelName = "glm-4.6";

    // Indented on purpose: a non-streamed body spans many lines, which a line-based reader must not mistake for events.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Reply Text(string content, int promptTokens = 5, int completionTokens = 3) =>
        Stream(content.Split(' ').Select((word, i) => i == 0 ? word : " " + word).ToArray(), [], promptTokens, completionTokens);

    public static Reply ToolCalls(params ScriptedToolCall[] calls) => Stream([], calls, 11, 7);

    /// <summary>A 2xx stream of the given pieces and tool calls, ending properly with the usage.</summary>
    public static Reply Stream(string[] pieces, ScriptedToolCall[] calls, int promptTokens, int completionTokens) =>
        async (context, dialect) =>
        {
            await StartStreamAsync(context, dialect);
            foreach (var piece in pieces)
            {
                await WriteChunkAsync(context, dialect, ContentChunk(dialect, piece));
            }

            foreach (var chunk in ToolCallChunks(dialect, calls))
            {
                await WriteChunkAsync(context, dialect, chunk);
            }

            await FinishAsync(context, dialect, promptTokens, completionTokens, calls.Length > 0);
        };

    /// <summary>A stream that sends <paramref name="pieces"/>, then each after <paramref name="gate"/> is released once.</summary>
    public static Reply Gated(SemaphoreSlim gate, params string[] pieces) => async (context, dialect) =>
    {
        await StartStreamAsync(context, dialect);
        foreach (var piece in pieces)
        {
            await gate.WaitAsync(context.RequestAborted);
            await WriteChunkAsync(context, dialect, ContentChunk(dialect, piece));
        }

        await gate.WaitAsync(context.RequestAborted);
        await FinishAsync(context, dialect, 5, 3, false);
    };

    public static Reply Status(int status, string body = "", params (string Name, string Value)[] headers) => async (context, _) =>
    {
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers.Append(name, value);
        }

        if (body.Length > 0)
        {
            context.Response.ContentType = body.StartsWith('{') ? "application/json" : "text/plain";
            await context.Response.WriteAsync(body);
        }
    };

    /// <summary>Ollama's error body: <c>{"error": "..."}</c>.</summary>
    public static Reply Error(int status, string message, params (string Name, string Value)[] headers) =>
        Status(status, JsonSerializer.Serialize(new { error = message }), headers);

    /// <summary>Accepts the request and never answers (until the client gives up).</summary>
    public static Reply Hang() => async (context, _) =>
        await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>Sends two content chunks, then ends the response cleanly without the final chunk.</summary>
    public static Reply StopsMidway() => async (context, dialect) =>
    {
        await StartStreamAsync(context, dialect);
        await WriteChunkAsync(context, dialect, ContentChunk(dialect, "half"));
        await WriteChunkAsync(context, dialect, ContentChunk(dialect, " an answer"));
    };

    /// <summary>Sends one chunk, then resets the connection when <paramref name="gate"/> is released.</summary>
    public static Reply CutMidStream(SemaphoreSlim gate) => async (context, dialect) =>
    {
        await StartStreamAsync(context, dialect);
        await WriteChunkAsync(context, dialect, ContentChunk(dialect, "half"));
        await gate.WaitAsync(context.RequestAborted);
        context.Abort();
    };

    /// <summary>Sends one chunk, then stays silent until the client gives up.</summary>
    public static Reply StallAfterFirstChunk() => async (context, dialect) =>
    {
        await StartStreamAsync(context, dialect);
        await WriteChunkAsync(context, dialect, ContentChunk(dialect, "first"));
        await Hang()(context, dialect);
    };

    /// <summary>Resets the connection before any response byte.</summary>
    public static Reply Reset() => (context, _) =>
    {
        context.Abort();
        return Task.CompletedTask;
    };

    /// <summary>Sends one chunk and then an in-stream error event, as servers do when a runner dies mid-answer.</summary>
    public static Reply ErrorInStream(string message) => async (context, dialect) =>
    {
        await StartStreamAsync(context, dialect);
        await WriteChunkAsync(context, dialect, ContentChunk(dialect, "half"));
        await WriteChunkAsync(context, dialect, dialect == Dialect.Native ? new { error = message } : new { error = new { message } });
    };

    /// <summary>What an OpenAI-compatible server that ignores <c>"stream": true</c> sends: one chat.completion object.</summary>
    public static Reply WholeCompletion(string content, ScriptedToolCall call, int promptTokens, int completionTokens) =>
        async (context, _) =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                id = "chatcmpl-2",
                @object = "chat.completion",
                model = ModelName,
                choices = new[]
                {
                    new
                    {
                        index = 0,
                        finish_reason = "tool_calls",
                        message = new
                        {
                            role = "assistant",
                            content,
                            tool_calls = new[] { new { id = call.Id, type = "function", function = new { name = call.Name, arguments = call.ArgumentsJson } } },
                        },
                    },
                },
                usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens },
            }, Indented));
        };

    /// <summary>
    /// A 2xx stream whose lines are sent exactly as given (JSON objects; SSE <c>data:</c> framing added for OpenAI),
    /// for the documented endings the scripted replies do not produce: <c>done_reason</c>, <c>finish_reason</c>, refusals.
    /// </summary>
    public static Reply Raw(params string[] chunks) => async (context, dialect) =>
    {
        await StartStreamAsync(context, dialect);
        foreach (var chunk in chunks)
        {
            var text = dialect == Dialect.Native ? chunk + "\n" : $"data: {chunk}\n\n";
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text));
            await context.Response.Body.FlushAsync();
        }
    };

    /// <summary>Ollama's documented streaming answer cut at <c>num_predict</c>: content, then <c>done_reason: "length"</c>.</summary>
    public static Reply NativeCutOff(string content) => Raw(
        JsonSerializer.Serialize(new { model = ModelName, created_at = "2023-08-04T08:52:19.385406455-07:00", message = new { role = "assistant", content }, done = false }),
        JsonSerializer.Serialize(new
        {
            model = ModelName, created_at = "2023-08-04T19:22:45.499127Z", message = new { role = "assistant", content = "" },
            done_reason = "length", done = true, total_duration = 4883583458L, load_duration = 1334875L, prompt_eval_count = 26,
            prompt_eval_duration = 342546000L, eval_count = 1, eval_duration = 4535599000L,
        }));

    /// <summary>An OpenAI stream that ends with <paramref name="finishReason"/> after <paramref name="content"/>, usage and [DONE].</summary>
    public static Reply OpenAiEndingWith(string content, string finishReason) => Raw(
        JsonSerializer.Serialize(new { id = "chatcmpl-9", @object = "chat.completion.chunk", model = ModelName, choices = new[] { new { index = 0, delta = new { role = "assistant", content }, finish_reason = (string?)null } } }),
        JsonSerializer.Serialize(new { id = "chatcmpl-9", @object = "chat.completion.chunk", model = ModelName, choices = new[] { new { index = 0, delta = new { }, finish_reason = finishReason } } }),
        JsonSerializer.Serialize(new { id = "chatcmpl-9", @object = "chat.completion.chunk", model = ModelName, choices = Array.Empty<object>(), usage = new { prompt_tokens = 20, completion_tokens = 1, total_tokens = 21 } }),
        "[DONE]");

    /// <summary>An OpenAI-format streamed refusal: <c>delta.refusal</c> fragments, empty content, <c>finish_reason: "stop"</c>.</summary>
    public static Reply OpenAiRefusal(params string[] fragments) => Raw([
        JsonSerializer.Serialize(new { id = "chatcmpl-r", @object = "chat.completion.chunk", model = ModelName, choices = new[] { new { index = 0, delta = new { role = "assistant", content = "", refusal = (string?)null }, finish_reason = (string?)null } } }),
        .. fragments.Select(f => JsonSerializer.Serialize(new { id = "chatcmpl-r", @object = "chat.completion.chunk", model = ModelName, choices = new[] { new { index = 0, delta = new { refusal = f }, finish_reason = (string?)null } } })),
        JsonSerializer.Serialize(new { id = "chatcmpl-r", @object = "chat.completion.chunk", model = ModelName, choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } } }),
        "[DONE]",
    ]);

    /// <summary>A non-streamed OpenAI refusal: one chat.completion whose <c>message.refusal</c> is set and content is null.</summary>
    public static Reply WholeRefusal(string refusal) => async (context, _) =>
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            id = "chatcmpl-3",
            @object = "chat.completion",
            model = ModelName,
            choices = new[] { new { index = 0, finish_reason = "stop", message = new { role = "assistant", content = (string?)null, refusal } } },
            usage = new { prompt_tokens = 9, completion_tokens = 4 },
        }, Indented));
    };

    public static Reply ModelList(params string[] names) => async (context, dialect) =>
    {
        context.Response.ContentType = "application/json";
        object body = dialect == Dialect.Native
            ? new { models = names.Select(n => new { name = n, model = n, size = 0 }) }
            : new { @object = "list", data = names.Select(n => new { id = n, @object = "model", owned_by = "library" }) };
        await context.Response.WriteAsync(JsonSerializer.Serialize(body));
    };

    private static async Task StartStreamAsync(HttpContext context, Dialect dialect)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = dialect == Dialect.Native ? "application/x-ndjson" : "text/event-stream";
        await context.Response.StartAsync();
        await context.Response.Body.FlushAsync();
    }

    private static async Task WriteChunkAsync(HttpContext context, Dialect dialect, object chunk)
    {
        var json = JsonSerializer.Serialize(chunk);
        var text = dialect == Dialect.Native ? json + "\n" : $"data: {json}\n\n";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text));
        await context.Response.Body.FlushAsync();
    }

    private static async Task FinishAsync(HttpContext context, Dialect dialect, int promptTokens, int completionTokens, bool toolCalls)
    {
        if (dialect == Dialect.Native)
        {
            await WriteChunkAsync(context, dialect, new
            {
                model = ModelName,
                message = new { role = "assistant", content = "" },
                done = true,
                done_reason = "stop",
                prompt_eval_count = promptTokens,
                eval_count = completionTokens,
            });
            return;
        }

        await WriteChunkAsync(context, dialect, new
        {
            id = "chatcmpl-1",
            model = ModelName,
            choices = new[] { new { index = 0, delta = new { }, finish_reason = toolCalls ? "tool_calls" : "stop" } },
        });
        await WriteChunkAsync(context, dialect, new
        {
            id = "chatcmpl-1",
            model = ModelName,
            choices = Array.Empty<object>(),
            usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
        });
        await context.Response.Body.WriteAsync("data: [DONE]\n\n"u8.ToArray());
        await context.Response.Body.FlushAsync();
    }

    private static object ContentChunk(Dialect dialect, string piece) => dialect == Dialect.Native
        ? new { model = ModelName, message = new { role = "assistant", content = piece }, done = false }
        : new
        {
            id = "chatcmpl-1",
            model = ModelName,
            choices = new[] { new { index = 0, delta = new { role = "assistant", content = piece }, finish_reason = (string?)null } },
        };

    /// <summary>Native: whole calls with object arguments, no ids. OpenAI: id and name first, then the argument string in two fragments.</summary>
    private static IEnumerable<object> ToolCallChunks(Dialect dialect, ScriptedToolCall[] calls)
    {
        if (calls.Length == 0)
        {
            yield break;
        }

        if (dialect == Dialect.Native)
        {
            yield return new
            {
                model = ModelName,
                message = new
                {
                    role = "assistant",
                    content = "",
                    tool_calls = calls.Select(c => new { function = new { name = c.Name, arguments = JsonSerializer.Deserialize<JsonElement>(c.ArgumentsJson) } }),
                },
                done = false,
            };
            yield break;
        }

        for (var index = 0; index < calls.Length; index++)
        {
            var call = calls[index];
            var half = call.ArgumentsJson.Length / 2;
            yield return OpenAiToolDelta(new { index, id = call.Id ?? $"call_{index}", type = "function", function = new { name = call.Name, arguments = "" } });
            yield return OpenAiToolDelta(new { index, function = new { arguments = call.ArgumentsJson[..half] } });
            yield return OpenAiToolDelta(new { index, function = new { arguments = call.ArgumentsJson[half..] } });
        }
    }

    private static object OpenAiToolDelta(object toolCall) => new
    {
        id = "chatcmpl-1",
        model = ModelName,
        choices = new[] { new { index = 0, delta = new { tool_calls = new[] { toolCall } }, finish_reason = (string?)null } },
    };
}
