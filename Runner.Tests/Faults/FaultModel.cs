using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Runner.Tests.Faults;

/// <summary>One chat request as the model stand-in received it.</summary>
internal sealed record ModelCall(int Number, string Worker, bool Triage, string Body);

/// <summary>
/// How the stand-in answers one call: the text (or refusal), how the stream ends, and what it waits for first.
/// <see cref="Gate"/> holds the answer until the test releases it (or the caller goes away).
/// </summary>
internal sealed record ModelAnswer(string Text, string StopReason = "stop", string? Refusal = null, Task? Gate = null, TimeSpan Delay = default);

/// <summary>
/// The model on loopback for the fault suite, speaking Ollama's native API (<c>/{worker}/api/chat</c>, NDJSON) and the
/// OpenAI-compatible one (<c>/{worker}/v1/chat/completions</c>, server-sent events). Each worker process gets its own
/// path prefix, so the test knows which process is waiting on which call (and which one to kill). Answers come from
/// <see cref="Answer"/>; tests wait on <see cref="WaitForCallsAsync"/> instead of sleeping.
/// </summary>
internal sealed class FaultModel : IAsyncDisposable
{
    public const string ModelName = "fault-model";

    public static readonly string TriageJson = JsonSerializer.Serialize(new
    {
        summary = "The app crashes at start when its settings file is missing.",
        labels = new[] { "bug" },
        duplicates = Array.Empty<object>(),
        missing_information = Array.Empty<string>(),
    });

    private readonly ConcurrentQueue<ModelCall> calls = new();
    private readonly ConcurrentDictionary<string, int> inFlight = new(StringComparer.Ordinal);
    private int counter;
    private LoopbackHttpServer? server;

    public Uri BaseAddress => server!.BaseAddress;

    /// <summary>Decides each answer; the default is triage JSON for triage prompts and a short prose answer otherwise.</summary>
    public Func<ModelCall, ModelAnswer> Answer { get; set; } = DefaultAnswer;

    public IReadOnlyList<ModelCall> Calls => [.. calls];

    public static ModelAnswer DefaultAnswer(ModelCall call) => new(call.Triage ? TriageJson : "The full answer.");

    public static async Task<FaultModel> StartAsync()
    {
        var model = new FaultModel();
        model.server = await LoopbackHttpServer.StartAsync(model.Map);
        return model;
    }

    /// <summary>Calls of this worker whose answer has not been written completely yet.</summary>
    public int InFlight(string worker) => inFlight.GetValueOrDefault(worker);

    public Task WaitForCallsAsync(int count, TimeSpan upperBound, string? worker = null) =>
        Eventually.HoldsAsync(() => calls.Count(c => worker is null || c.Worker == worker) >= count,
            $"{count} model calls{(worker is null ? string.Empty : " from " + worker)} (got {calls.Count})", upperBound);

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/{worker}/api/tags", () => Results.Json(new { models = new[] { new { name = ModelName, model = ModelName } } }));
        app.MapPost("/{worker}/api/chat", (string worker, HttpContext context) => ChatAsync(worker, native: true, context));
        app.MapPost("/{worker}/v1/chat/completions", (string worker, HttpContext context) => ChatAsync(worker, native: false, context));
    }

    private async Task ChatAsync(string worker, bool native, HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var system = (string?)JsonNode.Parse(body)?["messages"]?.AsArray()
            .FirstOrDefault(m => (string?)m?["role"] == "system")?["content"] ?? string.Empty;
        var call = new ModelCall(Interlocked.Increment(ref counter), worker, system.Contains("triage", StringComparison.OrdinalIgnoreCase), body);
        inFlight.AddOrUpdate(worker, 1, (_, n) => n + 1);
        calls.Enqueue(call);
        try
        {
            var answer = Answer(call);
            if (answer.Gate is { } gate)
            {
                await gate.WaitAsync(context.RequestAborted);
            }

            if (answer.Delay > TimeSpan.Zero)
            {
                await Task.Delay(answer.Delay, context.RequestAborted);
            }

            await (native ? WriteNativeAsync(context, answer) : WriteOpenAiAsync(context, answer));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The worker went away (killed, or stopped): nothing to answer.
        }
        finally
        {
            inFlight.AddOrUpdate(worker, 0, (_, n) => n - 1);
        }
    }

    private static IEnumerable<string> Pieces(string text) =>
        text.Length == 0 ? [string.Empty] : text.Chunk(40).Select(c => new string(c));

    private static Task WriteNativeAsync(HttpContext context, ModelAnswer answer) =>
        DemoModelServer.WriteNativeStreamAsync(context, ModelName, new JsonObject { ["role"] = "assistant", ["content"] = answer.Text },
            pieceLength: 40, answer.StopReason, promptTokens: 40, evalTokens: 12);

    private static async Task WriteOpenAiAsync(HttpContext context, ModelAnswer answer)
    {
        context.Response.ContentType = "text/event-stream";
        var id = $"chatcmpl-{Guid.NewGuid():N}";
        async Task SendAsync(JsonObject delta, string? finish, JsonObject? usage = null)
        {
            var chunk = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = 1_764_000_000,
                ["model"] = ModelName,
                ["choices"] = usage is null
                    ? new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish })
                    : new JsonArray(),
            };
            if (usage is not null)
            {
                chunk["usage"] = usage;
            }

            await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        await SendAsync(new JsonObject { ["role"] = "assistant", ["content"] = string.Empty }, null);
        if (answer.Refusal is { } refusal)
        {
            foreach (var piece in Pieces(refusal))
            {
                await SendAsync(new JsonObject { ["content"] = null, ["refusal"] = piece }, null);
            }
        }
        else
        {
            foreach (var piece in Pieces(answer.Text))
            {
                await SendAsync(new JsonObject { ["content"] = piece }, null);
            }
        }

        await SendAsync(new JsonObject(), answer.StopReason);
        await SendAsync(new JsonObject(), null, new JsonObject { ["prompt_tokens"] = 40, ["completion_tokens"] = 12, ["total_tokens"] = 52 });
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
    }
}
