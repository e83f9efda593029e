using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Runner.Tests.Infrastructure;

namespace Runner.Tests.Llm;

public enum Dialect
{
    Native,
    OpenAi,
}

/// <summary>How the stand-in answers one chat request.</summary>
public delegate Task Reply(HttpContext context, Dialect dialect);

/// <summary>One request the stand-in received.</summary>
public sealed record RecordedRequest(string Method, string Path, string? Authorization, string? Accept, JsonElement Body);

/// <summary>
/// A loopback Kestrel stand-in for Ollama that speaks both dialects (<c>/api/chat</c> NDJSON and
/// <c>/v1/chat/completions</c> SSE, plus <c>/api/tags</c> and <c>/v1/models</c>) and is scripted per request: each
/// chat request takes the next <see cref="Reply"/> from the script, or a plain streamed answer when the script is empty.
/// </summary>
public sealed class FakeLlmServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<Reply> script = new();
    private readonly Channel<RecordedRequest> arrivals = Channel.CreateUnbounded<RecordedRequest>();
    private readonly ConcurrentQueue<RecordedRequest> received = new();
    private LoopbackHttpServer server = null!;

    public IReadOnlyList<RecordedRequest> Requests => received.ToArray();

    public IReadOnlyList<RecordedRequest> ChatRequests => received.Where(r => r.Method == "POST").ToArray();

    /// <summary>What <c>/api/tags</c> and <c>/v1/models</c> answer.</summary>
    public Reply Models { get; set; } = Replies.ModelList("glm-4.6", "gpt-oss:120b");

    public string NativeUrl => server.BaseAddress + "api";

    public string OpenAiUrl => server.BaseAddress + "v1";

    public string UrlFor(Dialect dialect) => dialect == Dialect.Native ? NativeUrl : OpenAiUrl;

    public static async Task<FakeLlmServer> StartAsync()
    {
        var fake = new FakeLlmServer();
        fake.server = await LoopbackHttpServer.StartAsync(app =>
        {
            app.MapPost("/api/chat", context => fake.HandleChatAsync(context, Dialect.Native));
            app.MapPost("/v1/chat/completions", context => fake.HandleChatAsync(context, Dialect.OpenAi));
            app.MapGet("/api/tags", context => fake.HandleModelsAsync(context, Dialect.Native));
            app.MapGet("/v1/models", context => fake.HandleModelsAsync(context, Dialect.OpenAi));
        });
        return fake;
    }

    public FakeLlmServer Then(params Reply[] replies)
    {
        foreach (var reply in replies)
        {
            script.Enqueue(reply);
        }

        return this;
    }

    /// <summary>Waits (in real time, bounded) until the next request arrives.</summary>
    public async Task<RecordedRequest> NextArrivalAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await arrivals.Reader.ReadAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync() => await server.DisposeAsync();

    private async Task HandleChatAsync(HttpContext context, Dialect dialect)
    {
        await RecordAsync(context);
        var reply = script.TryDequeue(out var next) ? next : Replies.Text("pong");
        await reply(context, dialect);
    }

    private async Task HandleModelsAsync(HttpContext context, Dialect dialect)
    {
        await RecordAsync(context);
        await Models(context, dialect);
    }

    private async Task RecordAsync(HttpContext context)
    {
        var body = default(JsonElement);
        if (HttpMethods.IsPost(context.Request.Method))
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            body = JsonSerializer.Deserialize<JsonElement>(await reader.ReadToEndAsync());
        }

        var request = new RecordedRequest(context.Request.Method, context.Request.Path, context.Request.Headers.Authorization,
            context.Request.Headers.Accept, body);
        received.Enqueue(request);
        arrivals.Writer.TryWrite(request);
    }
}
