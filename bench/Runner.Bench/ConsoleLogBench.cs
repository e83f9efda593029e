using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace Runner.Bench;

/// <summary>
/// The cost, on the thread that logs, of a job's two lines (JobLog.Started and JobLog.Finished, the queue's real
/// source-generated lines) from the framework's ILogger to the sink: Serilog.Extensions.Logging's factory against the
/// host's SerilogBridgeFactory, over the same Serilog pipeline (level, overrides, LogContext) and a sink that drops
/// the event, so formatting and writing (done by the console sink's timer thread) are left out. Runner's types are
/// internal, hence reflection, outside the timed loop.
/// </summary>
internal static class ConsoleLogBench
{
    private const int Rounds = 5;

    private delegate void StartedLine(Microsoft.Extensions.Logging.ILogger logger, string streamId, string @event, string delivery, string repository, int attempt);

    private delegate void FinishedLine(Microsoft.Extensions.Logging.ILogger logger, LogLevel level, string streamId, string @event, string delivery,
        string repository, int attempt, string outcome, double durationMs);

    public static void Run(int jobs)
    {
        var jobLog = Type.GetType("Runner.Core.Queue.JobLog, Runner.Core", throwOnError: true)!;
        var started = jobLog.GetMethod("Started", BindingFlags.Public | BindingFlags.Static)!.CreateDelegate<StartedLine>();
        var finished = jobLog.GetMethod("Finished", BindingFlags.Public | BindingFlags.Static)!.CreateDelegate<FinishedLine>();
        var bridge = Type.GetType("Runner.Hosting.SerilogBridgeFactory, Runner", throwOnError: true)!;
        var factories = new (string Name, Func<Logger, ILoggerFactory> Create)[]
        {
            ("Serilog.Extensions.Logging", logger => new SerilogLoggerFactory(logger)),
            ("Runner SerilogBridgeFactory", logger => (ILoggerFactory)Activator.CreateInstance(bridge, [logger])!),
        };

        Console.WriteLine($"{jobs:N0} jobs (two lines each) per round, {Rounds} rounds each, interleaved; median round shown");
        Interleaved.Compare("logger factory", "job (2 lines)", Rounds, jobs,
            [.. factories.Select(f => (f.Name, (Func<int, (double, double)>)(count => Measure(f.Create, started, finished, count))))]);
    }

    private static (double Ns, double Bytes) Measure(Func<Logger, ILoggerFactory> create, StartedLine started, FinishedLine finished, int jobs)
    {
        // The host's pipeline (LoggingSetup.Configure) but for the sink.
        var serilog = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Sink(new Dropping())
            .CreateLogger();
        using var factory = create(serilog);
        var logger = factory.CreateLogger("Runner.Core.Queue.QueueWorker");
        var streamIds = Enumerable.Range(0, 64).Select(i => $"17644608000{i:00}-0").ToArray();
        var deliveries = Enumerable.Range(0, 64).Select(_ => Guid.CreateVersion7().ToString()).ToArray();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < jobs; i++)
        {
            var streamId = streamIds[i & 63];
            var delivery = deliveries[i & 63];
            started(logger, streamId, "issues", delivery, "octo-org/hello-world", 1);
            finished(logger, LogLevel.Information, streamId, "issues", delivery, "octo-org/hello-world", 1, "succeeded", 12.5 + (i & 7));
        }

        watch.Stop();
        var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        return (watch.Elapsed.TotalNanoseconds / jobs, (double)bytes / jobs);
    }

    private sealed class Dropping : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
        }
    }
}
