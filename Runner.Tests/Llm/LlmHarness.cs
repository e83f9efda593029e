using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Runner.Core.Llm;
using Runner.Core.Llm.RateLimiting;
using StackExchange.Redis;

namespace Runner.Tests.Llm;

/// <summary>
/// An <see cref="ILlmClient"/> built the way the worker builds it (<c>AddRunnerLlm</c> on environment-style
/// settings), on a fake clock. Every pause the client chooses is recorded and, unless told otherwise, the fake
/// clock is moved past it at once, so tests never sleep.
/// </summary>
internal sealed class LlmHarness : IAsyncDisposable
{
    public const string ApiKey = "sk-test-5ecret-key-0042";

    private readonly ServiceProvider services;
    private readonly ConcurrentQueue<(LlmPauseKind Kind, TimeSpan Delay)> pauses = new();

    private LlmHarness(ServiceProvider services, FakeTimeProvider time, FakeLogCollector logs)
    {
        this.services = services;
        Time = time;
        Logs = logs;
        Client = services.GetRequiredService<ILlmClient>();
        services.GetRequiredService<LlmPauses>().Scheduled += OnPause;
    }

    public event Action<LlmPauseKind, TimeSpan>? Paused;

    public FakeTimeProvider Time { get; }

    public FakeLogCollector Logs { get; }

    public ILlmClient Client { get; }

    public IServiceProvider Services => services;

    /// <summary>When false, pauses are recorded but the clock stays where it is (another test step moves it).</summary>
    public bool AdvanceThroughPauses { get; set; } = true;

    public IReadOnlyList<(LlmPauseKind Kind, TimeSpan Delay)> Pauses => pauses.ToArray();

    public IReadOnlyList<TimeSpan> PausesOf(LlmPauseKind kind) => Pauses.Where(p => p.Kind == kind).Select(p => p.Delay).ToList();

    public static LlmHarness Create(
        string apiUrl,
        IDictionary<string, string?>? settings = null,
        IConnectionMultiplexer? redis = null,
        FakeTimeProvider? time = null,
        TimeProvider? clock = null)
    {
        time ??= new FakeTimeProvider();
        var values = new Dictionary<string, string?>
        {
            ["OLLAMA_API_KEY"] = ApiKey,
            ["OLLAMA_API_URL"] = apiUrl,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddSingleton(clock ?? time);
        services.AddLogging(logging => logging.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace));
        if (redis is not null)
        {
            services.AddSingleton(redis);
        }

        services.AddRunnerLlm(configuration);
        return new LlmHarness(services.BuildServiceProvider(validateScopes: true), time, logs);
    }

    public Task<ChatResult> AskAsync(string question = "Say pong.") =>
        Client.ChatAsync(new ChatRequest([ChatMessage.User(question)]), CancellationToken.None);

    public async ValueTask DisposeAsync() => await services.DisposeAsync();

    private void OnPause(LlmPauseKind kind, TimeSpan delay)
    {
        pauses.Enqueue((kind, delay));
        Paused?.Invoke(kind, delay);
        if (AdvanceThroughPauses)
        {
            Time.Advance(delay);
        }
    }
}
