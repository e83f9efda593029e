using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Queue;
using StackExchange.Redis;

namespace Runner.Tests.Queue;

/// <summary>Options, handlers and waits shared by the queue tests; every test uses its own stream on a real redis-server.</summary>
internal static class QueueTestKit
{
    public static QueueOptions Options(string stream, string consumer = "c1", Action<QueueOptions>? configure = null)
    {
        var options = new QueueOptions
        {
            Stream = stream,
            Consumer = consumer,
            Concurrency = 4,
            ReadBlock = TimeSpan.FromMilliseconds(200),
            ClaimIdle = TimeSpan.FromSeconds(2),
            RetryBaseDelay = TimeSpan.FromMilliseconds(50),
            RetryMaxDelay = TimeSpan.FromMilliseconds(200),
            RetryPollInterval = TimeSpan.FromMilliseconds(100),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            TrimInterval = TimeSpan.FromHours(1),
        };
        configure?.Invoke(options);
        return options;
    }

    public static string NewStream() => "test:" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A worker built the way the host builds it (<c>AddRunnerQueue</c>), with these options, clock, logger and handlers.</summary>
    public static QueueWorker Worker(IConnectionMultiplexer redis, QueueOptions options, TimeProvider? timeProvider = null,
        ILogger<QueueWorker>? logger = null, params IJobHandler[] handlers)
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(redis)
            .AddSingleton(timeProvider ?? TimeProvider.System)
            .AddRunnerQueue(new ConfigurationBuilder().Build())
            .AddSingleton(Microsoft.Extensions.Options.Options.Create(options))
            .AddSingleton(logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<QueueWorker>.Instance);
        foreach (var handler in handlers)
        {
            services.AddSingleton(handler);
        }

        // The provider lives as long as the worker: the worker disposes its reader when it stops.
        return services.BuildServiceProvider().GetRequiredService<QueueWorker>();
    }

    public static Task<string> EnqueueAsync(IConnectionMultiplexer redis, string stream, string delivery, string eventName = "issues",
        string payload = """{"repository":{"full_name":"octo/repo"}}""") =>
        new JobProducer(redis, stream, TimeProvider.System).EnqueueAsync(eventName, delivery, payload);

    /// <summary>Waits until <paramref name="condition"/> holds; fails the test with <paramref name="what"/> otherwise.</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(condition, what, timeout ?? TimeSpan.FromSeconds(15));

    public static Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        EventuallyAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>
    /// A survivor with a short claim idle takes over what a crashed consumer left; waits until every delivery is done,
    /// nothing is pending or waiting for a retry, and no running key is left.
    /// </summary>
    public static async Task<RecordingHandler> SurvivorCompletesAllAsync(IConnectionMultiplexer redis, string stream, string[] deliveries)
    {
        var db = redis.GetDatabase();
        var handler = new RecordingHandler();
        using var survivor = Worker(redis, Options(stream, "survivor", o => o.ClaimIdle = TimeSpan.FromMilliseconds(500)), handlers: handler);
        await survivor.StartAsync(CancellationToken.None);
        await EventuallyAsync(async () =>
        {
            foreach (var delivery in deliveries)
            {
                if (!await db.KeyExistsAsync($"{stream}:done:{delivery}"))
                {
                    return false;
                }
            }

            return await PendingAsync(redis, stream) == 0 && await db.SortedSetLengthAsync($"{stream}:retry") == 0;
        }, "every entry completed by the survivor", TimeSpan.FromSeconds(20));
        await survivor.StopAsync(CancellationToken.None);
        foreach (var delivery in deliveries)
        {
            Assert.That(await db.KeyExistsAsync($"{stream}:running:{delivery}"), Is.False, delivery);
        }

        return handler;
    }

    public static async Task<long> PendingAsync(IConnectionMultiplexer redis, string stream, string group = QueueOptions.DefaultGroup) =>
        (await redis.GetDatabase().StreamPendingAsync(stream, group)).PendingMessageCount;

    public static string Field(StreamEntry entry, string name) => entry.Values.First(v => v.Name == name).Value.ToString();
}

/// <summary>A handler for the given events that records every job it gets and runs <see cref="Behaviour"/>.</summary>
internal sealed class RecordingHandler(params string[] events) : IJobHandler
{
    public IReadOnlyCollection<string> Events { get; } = events.Length == 0 ? ["issues"] : events;

    public ConcurrentQueue<Job> Jobs { get; } = new();

    public ConcurrentDictionary<string, int> RunsPerDelivery { get; } = new();

    public Func<Job, CancellationToken, Task> Behaviour { get; set; } = (_, _) => Task.CompletedTask;

    public int Count => Jobs.Count;

    public async Task HandleAsync(Job job, CancellationToken cancellationToken)
    {
        Jobs.Enqueue(job);
        RunsPerDelivery.AddOrUpdate(job.Delivery, 1, (_, n) => n + 1);
        await Behaviour(job, cancellationToken);
    }
}
