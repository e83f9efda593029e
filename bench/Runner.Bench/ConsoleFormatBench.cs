using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace Runner.Bench;

/// <summary>
/// The cost of turning one job line into text for <c>docker logs</c>: Serilog's MessageTemplateTextFormatter with the
/// host's template against Runner's TextLineFormatter, on the queue's real job lines (logged once through
/// <c>JobLog</c> and Serilog's logger factory, as the host does), written into a StreamWriter over Stream.Null the
/// way BufferedConsoleSink writes them. Both types are internal to Runner, hence reflection (outside the timed loop).
/// </summary>
internal static class ConsoleFormatBench
{
    private const int Rounds = 3;

    public static void Run(int events)
    {
        var jobLines = CaptureJobLines();
        var template = (string)Type.GetType("Runner.Hosting.LoggingSetup, Runner", throwOnError: true)!
            .GetField("TextTemplate", BindingFlags.NonPublic | BindingFlags.Static)!.GetRawConstantValue()!;
        var fast = (ITextFormatter)Activator.CreateInstance(Type.GetType("Runner.Hosting.TextLineFormatter, Runner", throwOnError: true)!, nonPublic: true)!;
        var formatters = new (string Name, ITextFormatter Formatter)[]
        {
            ("Serilog MessageTemplateTextFormatter", new MessageTemplateTextFormatter(template, CultureInfo.InvariantCulture)),
            ("Runner TextLineFormatter", fast),
        };

        // Same bytes, or the comparison means nothing.
        var texts = formatters.Select(f => Format(f.Formatter, jobLines)).ToList();
        if (texts[0] != texts[1])
        {
            throw new InvalidOperationException("the formatters disagree:\n" + texts[0] + "\n---\n" + texts[1]);
        }

        Console.WriteLine($"{jobLines.Length} distinct job lines, e.g.: {texts[0].Split(Environment.NewLine)[1]}");
        Console.WriteLine($"{events:N0} events per round, {Rounds} rounds each, interleaved; median round shown");
        Interleaved.Compare("formatter", "event", Rounds, events,
            [.. formatters.Select(f => (f.Name, (Func<int, (double, double)>)(count => Measure(f.Formatter, jobLines, count))))]);
    }

    private static (double Ns, double Bytes) Measure(ITextFormatter formatter, LogEvent[] jobLines, int events)
    {
        using var output = new StreamWriter(Stream.Null, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 32 * 1024);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < events; i++)
        {
            formatter.Format(jobLines[i % jobLines.Length], output);
        }

        output.Flush();
        watch.Stop();
        var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        return (watch.Elapsed.TotalNanoseconds / events, (double)bytes / events);
    }

    private static string Format(ITextFormatter formatter, LogEvent[] jobLines)
    {
        var text = new StringWriter();
        foreach (var line in jobLines)
        {
            formatter.Format(line, text);
        }

        return text.ToString();
    }

    /// <summary>A few jobs' started and finished lines, as the queue worker logs them (JobLog is internal to Runner.Core).</summary>
    private static LogEvent[] CaptureJobLines()
    {
        var jobLog = Type.GetType("Runner.Core.Queue.JobLog, Runner.Core", throwOnError: true)!;
        var started = jobLog.GetMethod("Started", BindingFlags.Public | BindingFlags.Static)!;
        var finished = jobLog.GetMethod("Finished", BindingFlags.Public | BindingFlags.Static)!;
        var sink = new Collecting();
        using (var serilog = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger())
        using (var factory = new SerilogLoggerFactory(serilog))
        {
            var logger = factory.CreateLogger("Runner.Core.Queue.QueueWorker");
            (string Event, string Repository, int Attempt, string Outcome, double Ms)[] jobs =
            [
                ("pull_request", "octo-org/hello-world", 1, "succeeded", 1834.5678),
                ("issues", "octo-org/api-server", 1, "succeeded", 912.25),
                ("issue_comment", "someone/a-much-longer-repository-name", 2, "succeeded", 15_012.4),
                ("pull_request_review_comment", "octo-org/hello-world", 3, "failed", 60_000.49),
            ];
            for (var i = 0; i < jobs.Length; i++)
            {
                var (name, repository, attempt, outcome, ms) = jobs[i];
                var streamId = $"17644608000{i:00}-0";
                var delivery = Guid.CreateVersion7().ToString();
                started.Invoke(null, [logger, streamId, name, delivery, repository, attempt]);
                finished.Invoke(null, [logger, LogLevel.Information, streamId, name, delivery, repository, attempt, outcome, ms]);
            }
        }

        return [.. sink.Events];
    }

    private sealed class Collecting : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];

        public void Emit(LogEvent logEvent) => Events.Add(logEvent);
    }
}
