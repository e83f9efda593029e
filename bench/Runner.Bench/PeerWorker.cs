using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Runner.Core.Diagnostics;
using Runner.Core.Queue;
using Runner.Core.Redis;

namespace Runner.Bench;

/// <summary>
/// Runner's side of the peer bench (bench/peer): a worker process that speaks the protocol of
/// bench/peer/worker-common.mjs on standard input and error. Each instance is a host built like the real one
/// (the host's own builder and console logging, or a NullLogger) with <c>AddRunnerRedis</c> + <c>AddRunnerQueue</c>,
/// so the real <see cref="QueueWorker"/> runs with every guarantee on; only the handler is a no-op.
/// </summary>
internal static class PeerWorker
{
    private static Tally? current;

    public static async Task<int> RunAsync()
    {
        var url = Environment.GetEnvironmentVariable("BENCH_REDIS_URL") ?? throw new InvalidOperationException("BENCH_REDIS_URL is not set");
        var concurrency = int.Parse(Environment.GetEnvironmentVariable("BENCH_CONCURRENCY") ?? "1", CultureInfo.InvariantCulture);
        var consoleLogging = Environment.GetEnvironmentVariable("BENCH_LOGGING") == "console";
        using var acks = ListenForAcks();
        IHost? running = null;
        Say("ready");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            switch (parts)
            {
                case ["warm", var queue, var count]:
                {
                    var tally = current = new Tally(int.Parse(count, CultureInfo.InvariantCulture), reportStarts: false);
                    using var host = Build(url, queue, concurrency, consoleLogging, tally);
                    await host.StartAsync();
                    await tally.Done.Task;
                    await host.StopAsync();
                    Say("warmed");
                    break;
                }

                case ["run", var queue, var count]:
                {
                    var tally = current = new Tally(int.Parse(count, CultureInfo.InvariantCulture), reportStarts: false);
                    running = Build(url, queue, concurrency, consoleLogging, tally);
                    var allocated = GC.GetTotalAllocatedBytes(precise: true);
                    var collections = GC.CollectionCount(0);
                    await running.StartAsync();
                    var last = await tally.Done.Task;
                    allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                    collections = GC.CollectionCount(0) - collections;
                    Say(string.Create(CultureInfo.InvariantCulture,
                        $"drained first={tally.First} last={last} handled={tally.Handled} distinct={tally.Distinct} allocated={allocated} gen0={collections}"));
                    break;
                }

                case ["latency", var queue]:
                    running = Build(url, queue, concurrency, consoleLogging, current = new Tally(0, reportStarts: true));
                    await running.StartAsync();
                    Say("listening");
                    break;

                case ["exit"]:
                    if (running is not null)
                    {
                        await running.StopAsync();
                        running.Dispose();
                    }

                    Say("bye");
                    return 0;
            }
        }

        return 0;
    }

    /// <summary>The worker's host: the real host's builder (Serilog console sink as in production) or a NullLogger.</summary>
    private static IHost Build(string url, string stream, int concurrency, bool consoleLogging, Tally tally)
    {
        var builder = RealHostBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [RedisUrl.Variable] = url,
            ["RUNNER_STREAM"] = stream,
            ["RUNNER_CONCURRENCY"] = concurrency.ToString(CultureInfo.InvariantCulture),
            ["RUNNER_CONSUMER"] = $"bench-{Environment.ProcessId}",
        });
        if (!consoleLogging)
        {
            builder.Services.RemoveAll<ILoggerFactory>();
            builder.Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
            builder.Services.RemoveAll(typeof(ILogger<>));
            builder.Services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        }

        builder.Services.AddRunnerRedis(builder.Configuration).AddRunnerQueue(builder.Configuration);
        builder.Services.AddSingleton<IJobHandler>(new NoOpHandler(tally));
        return builder.Build();
    }

    /// <summary>
    /// <c>Runner.Hosting.RunnerHost.CreateBuilder()</c> of the real host (internal to Runner, hence reflection): the
    /// same defaults and the same Serilog console configuration as <c>dotnet Runner.dll</c>.
    /// </summary>
    private static HostApplicationBuilder RealHostBuilder()
    {
        var method = Type.GetType("Runner.Hosting.RunnerHost, Runner", throwOnError: true)!
            .GetMethod("CreateBuilder", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes)
            ?? throw new MissingMethodException("Runner.Hosting.RunnerHost", "CreateBuilder");
        return (HostApplicationBuilder)method.Invoke(null, null)!;
    }

    /// <summary>An entry counts as acknowledged when the worker records <c>runner.jobs.processed</c>: right after its complete script (done key + XACK) returned.</summary>
    private static MeterListener ListenForAcks()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RunnerMetrics.MeterName && instrument.Name == "runner.jobs.processed")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => current?.Acknowledged(value));
        listener.Start();
        return listener;
    }

    private static void Say(string line) => Console.Error.WriteLine($"@{line}");

    /// <summary>CLOCK_MONOTONIC nanoseconds, the clock of Node's process.hrtime.bigint().</summary>
    private static long Now()
    {
        var ticks = Stopwatch.GetTimestamp();
        return Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));
    }

    private sealed class Tally(int expected, bool reportStarts)
    {
        private readonly byte[] seen = new byte[Math.Max(1, expected)];
        private int handled;
        private int distinct;
        private long acked;
        private long first;

        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long First => Interlocked.Read(ref first);

        public int Handled => Volatile.Read(ref handled);

        public int Distinct => Volatile.Read(ref distinct);

        public void Started(string delivery)
        {
            var at = Now();
            if (Interlocked.Increment(ref handled) == 1)
            {
                Interlocked.Exchange(ref first, at);
            }

            var index = int.Parse(delivery.AsSpan(2), CultureInfo.InvariantCulture);
            if (reportStarts)
            {
                Say(string.Create(CultureInfo.InvariantCulture, $"start {index} {at}"));
            }
            else if (index >= 0 && index < seen.Length && Interlocked.Exchange(ref seen[index], 1) == 0)
            {
                Interlocked.Increment(ref distinct);
            }
        }

        public void Acknowledged(long count)
        {
            if (Interlocked.Add(ref acked, count) == expected)
            {
                Done.TrySetResult(Now());
            }
        }
    }

    private sealed class NoOpHandler(Tally tally) : IJobHandler
    {
        public IReadOnlyCollection<string> Events { get; } = ["issues"];

        public Task HandleAsync(Job job, CancellationToken cancellationToken)
        {
            tally.Started(job.Delivery);
            return Task.CompletedTask;
        }
    }
}
