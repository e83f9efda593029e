using System.Globalization;
using Microsoft.Extensions.Logging;
using Runner.Core.Queue;
using Runner.Hosting;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Display;

namespace Runner.Tests.Ops;

/// <summary>
/// The console's fast text formatter writes the very characters Serilog's <see cref="MessageTemplateTextFormatter"/>
/// writes for the host's template: every case is rendered by both and compared, and the cases it claims to handle
/// itself (the job lines above all) must not quietly go through the fallback.
/// </summary>
public sealed class TextLineFormatterTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 30, 12, 34, 56, 789, TimeSpan.Zero);

    private static IEnumerable<TestCaseData> Cases()
    {
        // The queue's real job lines, logged through the framework's logger as the host does.
        var jobs = CaptureJobLines();
        yield return Case("job started", true, jobs[0]);
        yield return Case("job succeeded", true, jobs[1]);
        yield return Case("job failed warning", true, jobs[2]);
        yield return Case("job failed with error", true, jobs[3]);
        yield return Case("job finished 0.4 ms rounds to 0", true, jobs[4]);

        foreach (var level in Enum.GetValues<LogEventLevel>())
        {
            yield return Case($"level {level}", true, Event(level: level));
        }

        yield return Case("unknown level", false, Event(level: (LogEventLevel)42));
        yield return Case("no SourceContext", true, Event(source: null));
        yield return Case("SourceContext an int (Serilog throws on its :l)", false,
            Event(extra: [new LogEventProperty("SourceContext", new ScalarValue(7))], source: null));
        yield return Case("SourceContext not a string", false,
            Event(extra: [new LogEventProperty("SourceContext", new ScalarValue(new Uri("https://example.com/a")))], source: null));
        yield return Case("text only, escaped braces", true, Event("plain {{braces}} text"));
        yield return Case("empty message", true, Event(""));

        yield return Case("string with quotes", true, Log(l => l.Information("said {Quote}", "say \"hi\" 'there'")));
        yield return Case("string with newlines", true, Log(l => l.Information("multi {Text} end", "line1\nline2\r\nline3")));
        yield return Case("string with braces", true, Log(l => l.Information("b {Text}", "{not} {{a}} template}")));
        yield return Case("non-ASCII string", true, Log(l => l.Information("n {Text}", "Grüße ✓ 日本 🚀")));
        yield return Case("empty string", true, Log(l => l.Information("e [{Text}]", "")));
        yield return Case("string with format u", true, Log(l => l.Information("u {Text:u}", "lower")));
        yield return Case("string longer than the stack buffer", true,
            Log(l => l.Information("long {Text} {Count}", new string('x', 3000), 5)));

        yield return Case("ints", true, Log(l => l.Information("{A} {B} {C} {D}", 0, -5, int.MaxValue, int.MinValue)));
        yield return Case("int with formats", true, Log(l => l.Information("{A:x8} {B:N0} {C:000}", 255, 1234567, -7)));
        yield return Case("longs", true, Log(l => l.Information("{A} {B:N0}", long.MinValue, 9_876_543_210L)));
        yield return Case("double format 0", true, Log(l => l.Information("in {DurationMs:0} ms", 1499.6)));
        yield return Case("double format 0 half", true, Log(l => l.Information("{A:0} {B:0} {C:0}", 0.5, 1.5, -2.5)));
        yield return Case("double format 0.00", true, Log(l => l.Information("{A:0.00} {B:0.00}", -3.14159, 1e10)));
        yield return Case("double no format", true, Log(l => l.Information("{A} {B} {C} {D}", 0.1, -0.0, 1e300, 1.0 / 3)));
        yield return Case("double NaN no format", false, Log(l => l.Information("{A}", double.NaN)));
        yield return Case("double infinity with format", true, Log(l => l.Information("{A:0} {B:0}", double.PositiveInfinity, double.NaN)));
        yield return Case("negative numbers", true, Log(l => l.Information("{A} {B:0.0} {C}", -1, -0.05, -42L)));
        yield return Case("null", false, Log(l => l.Information("is {Value}", (string?)null)));
        yield return Case("decimal", false, Log(l => l.Information("{A} {B:0.0}", 1.25m, 2.35m)));
        yield return Case("bool", false, Log(l => l.Information("{A}", true)));
        yield return Case("DateTime", false, Log(l => l.Information("{A} {B:yyyy}", new DateTime(2020, 1, 2), new DateTime(2021, 1, 2))));
        yield return Case("Guid", false, Log(l => l.Information("{A}", new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"))));

        yield return Case("derived ScalarValue rendering itself", false,
            Event("d {X:0} {Y}", extra: [new LogEventProperty("X", new Shouting(5)), new LogEventProperty("Y", new Shouting(6))]));

        yield return Case("right alignment", false, Log(l => l.Information("[{X,5}]", "ab")));
        yield return Case("left alignment", false, Log(l => l.Information("[{X,-5}] [{Y,3}]", "ab", 12345)));
        yield return Case("destructured structure", false, Log(l => l.Information("s {@X}", new { Name = "n", Count = 3 })));
        yield return Case("stringified", false, Log(l => l.Information("s {$X}", new[] { 1, 2 })));
        yield return Case("sequence", false, Log(l => l.Information("q {X}", new List<string> { "a", "b\"c" })));
        yield return Case("dictionary", false,
            Log(l => l.Information("d {X}", new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 })));
        yield return Case("positional", false, Log(l => l.Information("p {0} {1}", "zero", 1)));
        yield return Case("property missing", false,
            Event("has {Present} lacks {Missing:0} {Other,4}", extra: [new LogEventProperty("Present", new ScalarValue("here"))]));

        Exception thrown;
        try
        {
            throw new InvalidOperationException("boom \"quoted\"\nsecond line", new IOException("inner"));
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        yield return Case("exception with stack trace", true, Log(l => l.Error(thrown, "failed {Job}", "1-0")));
        yield return Case("exception on fallback path", false, Log(l => l.Error(thrown, "failed {@Job}", new { Id = 1 })));

        yield return Case("offset +05:30", true, Event(timestamp: new DateTimeOffset(2026, 1, 2, 3, 4, 5, 6, TimeSpan.FromMinutes(330))));
        yield return Case("offset -08:00", true, Event(timestamp: new DateTimeOffset(2026, 12, 31, 23, 59, 59, 999, TimeSpan.FromHours(-8))));
        yield return Case("milliseconds 0", true, Event(timestamp: new DateTimeOffset(2026, 6, 7, 8, 9, 10, 0, TimeSpan.Zero)));
        yield return Case("milliseconds 5", true, Event(timestamp: new DateTimeOffset(2026, 6, 7, 8, 9, 10, 5, TimeSpan.Zero)));
        yield return Case("milliseconds 999 and sub-millisecond ticks", true,
            Event(timestamp: new DateTimeOffset(new DateTime(2026, 6, 7, 23, 59, 59, 999).AddTicks(9_999), TimeSpan.FromHours(2))));
        yield return Case("year 999", true, Event(timestamp: new DateTimeOffset(999, 3, 4, 5, 6, 7, 8, TimeSpan.Zero)));
        yield return Case("year 1", true, Event(timestamp: new DateTimeOffset(1, 1, 1, 0, 0, 0, 0, TimeSpan.FromHours(-14))));
        yield return Case("year 9999 end", true, Event(timestamp: DateTimeOffset.MaxValue));
        yield return Case("local clock", true, Event(timestamp: new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.FromHours(1))));
    }

    [TestCaseSource(nameof(Cases))]
    public void Writes_what_serilog_writes(bool fast, LogEvent logEvent)
    {
        var expected = Render(new MessageTemplateTextFormatter(LoggingSetup.TextTemplate, CultureInfo.InvariantCulture), logEvent);

        var actual = Render(new TextLineFormatter(), logEvent);

        Assert.Multiple(() =>
        {
            Assert.That(actual, Is.EqualTo(expected));
            Assert.That(TextLineFormatter.TakesFastPath(logEvent), Is.EqualTo(fast), "fast path taken");
        });
    }

    [Test]
    public void Events_written_one_after_another_to_one_writer_match()
    {
        // The sink formats a batch into one writer: nothing may leak from one event into the next (buffers, state).
        var serilog = new MessageTemplateTextFormatter(LoggingSetup.TextTemplate, CultureInfo.InvariantCulture);
        var events = Cases().Select(c => (LogEvent)c.Arguments[1]!)
            .Where(e => !Render(serilog, e).EndsWith("<threw FormatException>", StringComparison.Ordinal)).ToList();
        var expected = new StringWriter();
        var actual = new StringWriter();
        var ours = new TextLineFormatter();
        foreach (var logEvent in events)
        {
            serilog.Format(logEvent, expected);
            ours.Format(logEvent, actual);
        }

        Assert.That(actual.ToString(), Is.EqualTo(expected.ToString()));
    }

    /// <summary>The text, and how it failed when Serilog cannot render the event (it must fail the same way).</summary>
    private static string Render(Serilog.Formatting.ITextFormatter formatter, LogEvent logEvent)
    {
        var output = new StringWriter();
        try
        {
            formatter.Format(logEvent, output);
        }
        catch (FormatException e)
        {
            output.Write($"<threw {e.GetType().Name}>");
        }

        return output.ToString();
    }

    private static TestCaseData Case(string name, bool fast, LogEvent logEvent) =>
        new TestCaseData(fast, logEvent).SetArgDisplayNames(name);

    private static LogEvent Event(string template = "Job {StreamId} attempt {Attempt}", LogEventLevel level = LogEventLevel.Information,
        string? source = "Runner.Core.Queue.QueueWorker", DateTimeOffset? timestamp = null, LogEventProperty[]? extra = null)
    {
        var properties = new List<LogEventProperty>
        {
            new("StreamId", new ScalarValue("1764000000000-0")),
            new("Attempt", new ScalarValue(2)),
        };
        if (source is not null)
        {
            properties.Add(new LogEventProperty("SourceContext", new ScalarValue(source)));
        }

        properties.AddRange(extra ?? []);
        return new LogEvent(timestamp ?? Noon, level, null, new Serilog.Parsing.MessageTemplateParser().Parse(template), properties);
    }

    /// <summary>One event as Serilog captures it (property values, destructuring), at a fixed time.</summary>
    private static LogEvent Log(Action<Serilog.ILogger> log)
    {
        var sink = new CollectingSink();
        using (var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger())
        {
            log(logger.ForContext(Constants.SourceContextPropertyName, "Runner.Tests.Ops.Sample"));
        }

        var captured = sink.Events.Single();
        return new LogEvent(Noon, captured.Level, captured.Exception, captured.MessageTemplate,
            captured.Properties.Select(p => new LogEventProperty(p.Key, p.Value)));
    }

    private static List<LogEvent> CaptureJobLines()
    {
        var sink = new CollectingSink();
        using (var serilog = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger())
        using (var factory = new SerilogLoggerFactory(serilog))
        {
            var logger = factory.CreateLogger("Runner.Core.Queue.QueueWorker");
            JobLog.Started(logger, "1764460800000-0", "pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "octo-org/hello-world", 1);
            JobLog.Finished(logger, LogLevel.Information, "1764460800000-0", "pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958",
                "octo-org/hello-world", 1, "succeeded", 1834.5678);
            JobLog.Finished(logger, LogLevel.Warning, "1764460800001-3", "issues", "d-2", "octo-org/hello-world", 3, "failed", 12.5);
            JobLog.Failed(logger, LogLevel.Error, "1764460800002-0", "issue_comment", "d-3", "octo/ünïcode-repo", 5, "dead-lettered",
                60_000.49, "model said \"no\": {oops}\nsecond line");
            JobLog.Finished(logger, LogLevel.Information, "1-0", "issues", "d-1", "octo/repo", 2, "succeeded", 0.4);
        }

        return sink.Events;
    }

    private sealed class Shouting(object value) : ScalarValue(value)
    {
        public override void Render(TextWriter output, string? format = null, IFormatProvider? formatProvider = null) =>
            output.Write($"LOUD {Value}");
    }
}
