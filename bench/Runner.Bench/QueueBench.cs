using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Runner.Core.Queue;
using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Bench;

/// <summary>
/// Throughput of the queue worker with a no-op handler at concurrency 1, 8 and 64, pick-up latency on an idle worker,
/// and the Redis commands an idle worker costs. Runs against a throw-away redis-server on loopback.
/// </summary>
internal sealed class QueueBench(QueueBenchSettings settings)
{
    private const string Payload = """{"action":"opened","repository":{"full_name":"octo/bench"}}""";

    public async Task RunAsync()
    {
        await using var server = await LocalRedisServer.StartAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(server.Url));
        var rows = new List<(string Measure, string Value)>();

        foreach (var concurrency in new[] { 1, 8, 64 })
        {
            var perSecond = await ThroughputAsync(redis, concurrency);
            rows.Add(($"jobs/s, concurrency {concurrency} ({settings.Jobs} no-op jobs)", perSecond.ToString("N0", CultureInfo.InvariantCulture)));
        }

        var (p50, p99) = await PickUpLatencyAsync(redis);
        rows.Add(($"pick-up latency p50 (idle worker, {settings.Samples} jobs)", $"{p50.TotalMilliseconds.ToString("0.00", CultureInfo.InvariantCulture)} ms"));
        rows.Add(($"pick-up latency p99 (idle worker, {settings.Samples} jobs)", $"{p99.TotalMilliseconds.ToString("0.00", CultureInfo.InvariantCulture)} ms"));
        var (idle, breakdown) = await IdleCommandsPerSecondAsync(redis, server);
        rows.Add(($"Redis commands/s, idle worker ({settings.IdleSeconds} s, default settings)", idle.ToString("0.00", CultureInfo.InvariantCulture)));

        Print(rows, await RedisVersionAsync(redis));
        Console.WriteLine($"idle commands by name: {breakdown}");
    }

    private async Task<double> ThroughputAsync(ConnectionMultiplexer redis, int concurrency)
    {
        var stream = $"bench:{concurrency}:{Guid.NewGuid():N}";
        var batch = redis.GetDatabase().CreateBatch();
        var adds = Enumerable.Range(0, settings.Jobs).Select(i => batch.StreamAddAsync(stream,
            [new(JobFields.Event, "issues"), new(JobFields.Delivery, $"bench-{concurrency}-{i}"), new(JobFields.Payload, Payload)])).ToArray();
        batch.Execute();
        await Task.WhenAll(adds);

        var handler = new NoOpHandler(settings.Jobs);
        using var worker = Worker(redis, stream, concurrency, handler);
        var clock = Stopwatch.StartNew();
        await worker.StartAsync(CancellationToken.None);
        await handler.AllDone.Task;
        while ((await redis.GetDatabase().StreamPendingAsync(stream, QueueOptions.DefaultGroup)).PendingMessageCount > 0)
        {
            await Task.Delay(1);
        }

        var elapsed = clock.Elapsed;
        await worker.StopAsync(CancellationToken.None);
        await redis.GetDatabase().KeyDeleteAsync(stream);
        return settings.Jobs / elapsed.TotalSeconds;
    }

    private async Task<(TimeSpan P50, TimeSpan P99)> PickUpLatencyAsync(ConnectionMultiplexer redis)
    {
        var stream = $"bench:latency:{Guid.NewGuid():N}";
        var handler = new StartTimeHandler();
        using var worker = Worker(redis, stream, 4, handler);
        await worker.StartAsync(CancellationToken.None);
        var producer = new JobProducer(redis, stream, TimeProvider.System);
        await Task.Delay(500);

        var samples = new List<TimeSpan>();
        for (var i = 0; i < settings.Samples; i++)
        {
            var delivery = $"latency-{i}";
            var sent = Stopwatch.GetTimestamp();
            await producer.EnqueueAsync("issues", delivery, Payload);
            var started = await handler.WaitForAsync(delivery);
            samples.Add(Stopwatch.GetElapsedTime(sent, started));

            // Let the worker go back to its blocking read, as an idle worker would be.
            await Task.Delay(Random.Shared.Next(20, 40));
        }

        await worker.StopAsync(CancellationToken.None);
        samples.Sort();
        return (Percentile(samples, 0.50), Percentile(samples, 0.99));
    }

    /// <summary>Counts every command Redis executed (INFO commandstats) while a default-configured worker sat idle.</summary>
    private async Task<(double PerSecond, string Breakdown)> IdleCommandsPerSecondAsync(ConnectionMultiplexer redis, LocalRedisServer server)
    {
        var stream = $"bench:idle:{Guid.NewGuid():N}";
        await using var workerConnection = await ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(server.Url));
        var options = new QueueOptions { Stream = stream, Consumer = "idle" };
        using var worker = BuildWorker(workerConnection, options, new NoOpHandler(int.MaxValue));
        await worker.StartAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2));

        var before = await CommandCountsAsync(redis);
        await Task.Delay(TimeSpan.FromSeconds(settings.IdleSeconds));
        var after = await CommandCountsAsync(redis);
        await worker.StopAsync(CancellationToken.None);

        // The INFO calls of this measurement are not the worker's; everything else on this server is.
        var deltas = after
            .Where(c => c.Key != "info")
            .Select(c => (Name: c.Key, Calls: c.Value - before.GetValueOrDefault(c.Key)))
            .Where(c => c.Calls > 0)
            .OrderByDescending(c => c.Calls)
            .ToList();
        var breakdown = string.Join(", ", deltas.Select(c => $"{c.Name} {c.Calls}"));
        return (deltas.Sum(c => c.Calls) / (double)settings.IdleSeconds, breakdown.Length == 0 ? "none" : breakdown);
    }

    private static QueueWorker Worker(ConnectionMultiplexer redis, string stream, int concurrency, IJobHandler handler)
    {
        var options = new QueueOptions { Stream = stream, Consumer = $"bench-{concurrency}", Concurrency = concurrency };
        return BuildWorker(redis, options, handler);
    }

    /// <summary>The worker as <c>AddRunnerQueue</c> builds it, with these options and this handler.</summary>
    private static QueueWorker BuildWorker(IConnectionMultiplexer redis, QueueOptions options, IJobHandler handler) =>
        new ServiceCollection()
            .AddLogging()
            .AddSingleton(redis)
            .AddRunnerQueue(new ConfigurationBuilder().Build())
            .AddSingleton(Options.Create(options))
            .AddSingleton(handler)
            .BuildServiceProvider()
            .GetRequiredService<QueueWorker>();

    /// <summary>Calls per command from INFO commandstats (commands run inside scripts count too).</summary>
    private static async Task<Dictionary<string, long>> CommandCountsAsync(ConnectionMultiplexer redis)
    {
        var info = (string?)await redis.GetDatabase().ExecuteAsync("INFO", "commandstats") ?? string.Empty;
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            // cmdstat_xreadgroup:calls=12,usec=...
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                var callsStart = line.IndexOf("calls=", StringComparison.Ordinal) + 6;
                calls[line[8..line.IndexOf(':', StringComparison.Ordinal)]] =
                    long.Parse(line[callsStart..line.IndexOf(',', callsStart)], CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }

    private static async Task<string> RedisVersionAsync(ConnectionMultiplexer redis)
    {
        var info = (string?)await redis.GetDatabase().ExecuteAsync("INFO", "server") ?? string.Empty;
        return info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("redis_version:", StringComparison.Ordinal))?[14..] ?? "?";
    }

    private static TimeSpan Percentile(List<TimeSpan> sorted, double percentile) =>
        sorted[Math.Clamp((int)Math.Ceiling(percentile * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static void Print(List<(string Measure, string Value)> rows, string redisVersion)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Runner queue bench: redis-server {redisVersion} on loopback, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}"));
        var width = rows.Max(r => r.Measure.Length);
        Console.WriteLine($"| {"measure".PadRight(width)} | value");
        Console.WriteLine($"|{new string('-', width + 2)}|------------");
        foreach (var (measure, value) in rows)
        {
            Console.WriteLine($"| {measure.PadRight(width)} | {value}");
        }
    }

    private sealed class NoOpHandler(int expected) : IJobHandler
    {
        private int done;

        public IReadOnlyCollection<string> Events { get; } = ["issues"];

        public TaskCompletionSource AllDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task HandleAsync(Job job, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref done) == expected)
            {
                AllDone.TrySetResult();
            }

            return Task.CompletedTask;
        }
    }

    private sealed class StartTimeHandler : IJobHandler
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> starts = new(StringComparer.Ordinal);

        public IReadOnlyCollection<string> Events { get; } = ["issues"];

        public Task HandleAsync(Job job, CancellationToken cancellationToken)
        {
            Slot(job.Delivery).TrySetResult(Stopwatch.GetTimestamp());
            return Task.CompletedTask;
        }

        public Task<long> WaitForAsync(string delivery) => Slot(delivery).Task.WaitAsync(TimeSpan.FromSeconds(30));

        private TaskCompletionSource<long> Slot(string delivery) =>
            starts.GetOrAdd(delivery, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
