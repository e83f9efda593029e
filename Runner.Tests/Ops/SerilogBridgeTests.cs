using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Runner.Core.Queue;
using Runner.Hosting;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using ILogger = Microsoft.Extensions.Logging.ILogger;

namespace Runner.Tests.Ops;

/// <summary>
/// The host's logger factory makes the same Serilog events as Serilog.Extensions.Logging for every kind of line: the
/// same level, template, properties (names, order, value kinds), exception, trace and span, and the same text and JSON.
/// </summary>
public sealed partial class SerilogBridgeTests
{
    private const string Category = "Runner.Core.Queue.QueueWorker";

    public static IEnumerable<TestCaseData> Lines()
    {
        yield return Line("job started", l => JobLog.Started(l, "1795999975356-0", "issues", "33e2d17d-5b1f", "octo/repo", 1));
        yield return Line("job finished", l => JobLog.Finished(l, LogLevel.Information, "1-0", "pull_request", "d-1", "octo/repo", 2, "succeeded", 1834.5678));
        yield return Line("job failed at warning", l => JobLog.Failed(l, LogLevel.Warning, "1-0", "issues", "d-1", "o/r", 3, "failed", 60_000.49, "boom"));
        yield return Line("every value kind", l => Kinds(l, 1.5, true, DayOfWeek.Friday, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
            Guid.Parse("6c9ba2c1-5d7a-4a55-9e3f-0b1f0e6a9c11"), TimeSpan.FromMilliseconds(1500), null, 7L, 'c', 2.25m, new Uri("https://example.test/x")));
        yield return Line("object and sequence", l => Shapes(l, new Point(1, 2), [1, 2, 3], new Dictionary<string, int> { ["a"] = 1 }));
        yield return Line("destructured", l => Captured(l, new Point(3, 4)));
        yield return Line("destructured and stringified by extension method", l => l.LogWarning("Captured {@Destructured} {$Stringified}", new Point(3, 4), new Point(5, 6)));
        yield return Line("explicit event id", l => WithEventId(l, "x"));
        yield return Line("extension method with values", l => l.LogInformation("Plain {A} {B} {C:0.0}", 1, "two", 3.14159));
        yield return Line("extension method without values", l => l.LogInformation("nothing to fill"));
#pragma warning disable CA2253 // The point: numeric names reach Serilog as they are.
        yield return Line("positional names", l => l.LogInformation("p {0} {1}", "zero", 1));
#pragma warning restore CA2253
        yield return Line("repeated name", l => l.LogInformation("{A} and {A}", 1, 2));
        yield return Line("template with escaped braces", l => l.LogInformation("{{literal}} {Value}", "v"));
        yield return Line("error with exception", l => l.LogError(new InvalidOperationException("boom"), "Failed {Job}", "1-0"));
        yield return Line("critical and trace levels", l =>
        {
            l.LogCritical("crit {N}", 1);
            l.LogTrace("trace {N}", 2);
            l.LogDebug("debug {N}", 3);
        });
        yield return Line("event id zero with a name, and an id alone", l =>
        {
            l.Log(LogLevel.Information, new EventId(0, "Named"), "named {N}", 1);
            l.Log(LogLevel.Information, new EventId(4711), "numbered {N}", 2);
            l.Log(LogLevel.Information, new EventId(12), "low {N}", 3);
        });
        yield return Line("a string state", l => l.Log(LogLevel.Information, default, "just a string", null, (s, _) => s));
        yield return Line("a state without a template", l =>
            l.Log(LogLevel.Information, default, new List<KeyValuePair<string, object?>> { new("Key", 1) }, null, (_, _) => "formatted"));
        yield return Line("a template that is not last", l =>
            l.Log(LogLevel.Information, default, new List<KeyValuePair<string, object?>> { new("{OriginalFormat}", "v {Key}"), new("Key", 1) }, null, (_, _) => "f"));
        yield return Line("inside scopes", l =>
        {
            using (l.BeginScope("Outer {Job}", "1-0"))
            using (l.BeginScope(new Dictionary<string, object> { ["Repository"] = "octo/repo" }))
            {
                JobLog.Started(l, "1-0", "issues", "d", "octo/repo", 1);
            }

            JobLog.Started(l, "2-0", "issues", "d", "octo/repo", 1);
        });
        yield return Line("a category below its override", l => l.LogInformation("hidden {N}", 1), "Microsoft.Extensions.Hosting.Internal.Host");
    }

    [TestCaseSource(nameof(Lines))]
    public void Makes_the_events_serilog_extensions_logging_makes(Action<ILogger> write, string category)
    {
        var expected = Capture(logger => new SerilogLoggerFactory(logger), write, category);

        var actual = Capture(logger => new SerilogBridgeFactory(logger), write, category);

        Assert.That(actual.Select(Describe), Is.EqualTo(expected.Select(Describe)));
    }

    [TestCaseSource(nameof(Lines))]
    public void Makes_the_same_events_inside_an_activity(Action<ILogger> write, string category)
    {
        using var activity = new Activity("job").SetIdFormat(ActivityIdFormat.W3C).Start();
        var expected = Capture(logger => new SerilogLoggerFactory(logger), write, category);

        var actual = Capture(logger => new SerilogBridgeFactory(logger), write, category);

        Assert.That(actual.Select(Describe), Is.EqualTo(expected.Select(Describe)));
        Assert.That(actual.Select(e => e.TraceId), Has.All.EqualTo(activity.TraceId));
    }

    [Test]
    public void Takes_its_own_road_for_the_job_lines_and_allocates_less()
    {
        // Proof that the bridge does not just hand every line to Serilog.Extensions.Logging (which would pass the
        // equality cases above): the job lines cost fewer bytes through it. Allocations are counted, not timed.
        var serilogBytes = BytesPerJob(logger => new SerilogLoggerFactory(logger));

        var bridgeBytes = BytesPerJob(logger => new SerilogBridgeFactory(logger));

        Assert.That(bridgeBytes, Is.LessThan(serilogBytes * 0.8), $"bridge {bridgeBytes} B, Serilog.Extensions.Logging {serilogBytes} B per job");
    }

    [Test]
    public void Gives_each_event_the_time_it_was_logged_in_local_time()
    {
        var before = DateTimeOffset.Now;
        var events = Capture(logger => new SerilogBridgeFactory(logger), l => JobLog.Started(l, "1-0", "issues", "d", "o/r", 1), Category);
        var after = DateTimeOffset.Now;

        Assert.That(events.Single().Timestamp, Is.InRange(before, after));
        Assert.That(events.Single().Timestamp.Offset, Is.EqualTo(before.Offset));
    }

    [Test]
    public void Disposing_the_factory_flushes_the_sinks()
    {
        var output = new MemoryStream();
        var logger = new LoggerConfiguration()
            .WriteTo.Sink(new BufferedConsoleSink(new TextLineFormatter(), output))
            .CreateLogger();
        var factory = new SerilogBridgeFactory(logger);
        JobLog.Started(factory.CreateLogger(Category), "1-0", "issues", "d", "o/r", 1);

        factory.Dispose();

        Assert.That(System.Text.Encoding.UTF8.GetString(output.ToArray()), Does.Contain("Job 1-0 issues d for o/r attempt 1 started"));
    }

    private static TestCaseData Line(string name, Action<ILogger> write, string category = Category) =>
        new TestCaseData(write, category).SetName(name);

    private static List<LogEvent> Capture(Func<Logger, ILoggerFactory> factoryOf, Action<ILogger> write, string category)
    {
        var sink = new CollectingSink();
        var logger = LoggingSetup.Configure(new LoggerConfiguration(), LogEventLevel.Verbose, json: false)
            .WriteTo.Sink(sink)
            .CreateLogger();
        using (var factory = factoryOf(logger))
        {
            write(factory.CreateLogger(category));
        }

        return sink.Events;
    }

    /// <summary>Everything about an event but its timestamp: both renderings, and the CLR type behind each scalar.</summary>
    private static string Describe(LogEvent logEvent)
    {
        var timeless = new LogEvent(DateTimeOffset.UnixEpoch, logEvent.Level, logEvent.Exception, logEvent.MessageTemplate,
            logEvent.Properties.Select(p => new LogEventProperty(p.Key, p.Value)), logEvent.TraceId ?? default, logEvent.SpanId ?? default);
        var json = new StringWriter();
        new CompactJsonFormatter().Format(timeless, json);
        var text = new StringWriter();
        new MessageTemplateTextFormatter(LoggingSetup.TextTemplate, CultureInfo.InvariantCulture).Format(timeless, text);
        var kinds = string.Join(",", logEvent.Properties.Select(p => p.Key + ":" + Kind(p.Value)));
        return $"{logEvent.Level} {logEvent.MessageTemplate.Text} [{kinds}] {logEvent.TraceId} {logEvent.SpanId}\n{text}{json}";
    }

    private static string Kind(LogEventPropertyValue value) => value switch
    {
        ScalarValue scalar => scalar.Value?.GetType().Name ?? "null",
        StructureValue structure => "{" + string.Join(",", structure.Properties.Select(p => p.Name + ":" + Kind(p.Value))) + "}",
        SequenceValue sequence => "[" + string.Join(",", sequence.Elements.Select(Kind)) + "]",
        DictionaryValue => "dictionary",
        _ => value.GetType().Name,
    };

    private static double BytesPerJob(Func<Logger, ILoggerFactory> factoryOf)
    {
        const int Jobs = 200;
        var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(new Discarding()).CreateLogger();
        using var factory = factoryOf(logger);
        var jobLogger = factory.CreateLogger(Category);
        for (var i = 0; i < Jobs; i++)
        {
            LogJob(jobLogger);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Jobs; i++)
        {
            LogJob(jobLogger);
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Jobs;

        static void LogJob(ILogger logger)
        {
            JobLog.Started(logger, "1795999975356-0", "issues", "33e2d17d-5b1f", "octo/repo", 1);
            JobLog.Finished(logger, LogLevel.Information, "1795999975356-0", "issues", "33e2d17d-5b1f", "octo/repo", 1, "succeeded", 12.5);
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Kinds {Ratio:0.00} {Flag} {Day} {When} {Id} {Span} {Missing} {Count} {Letter} {Money} {Link}")]
    private static partial void Kinds(ILogger logger, double ratio, bool flag, DayOfWeek day, DateTimeOffset when, Guid id,
        TimeSpan span, string? missing, long count, char letter, decimal money, Uri link);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shapes {Point} {Numbers} {Map}")]
    private static partial void Shapes(ILogger logger, Point point, int[] numbers, Dictionary<string, int> map);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Captured {@Destructured}")]
    private static partial void Captured(ILogger logger, Point destructured);

    [LoggerMessage(EventId = 7, EventName = "Seventh", Level = LogLevel.Information, Message = "With id {Value}")]
    private static partial void WithEventId(ILogger logger, string value);

    private sealed record Point(int X, int Y);

    private sealed class Discarding : Serilog.Core.ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
        }
    }
}
