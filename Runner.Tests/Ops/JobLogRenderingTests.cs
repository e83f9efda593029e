using Runner.Core.Queue;
using Runner.Hosting;
using Serilog;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace Runner.Tests.Ops;

/// <summary>
/// The job lines as the real host renders them (its logger factory, its console sink): Serilog fills the message by property name (unlike the framework's
/// own formatter, which goes by position), so every placeholder must reach Serilog as a property of that name.
/// </summary>
public sealed class JobLogRenderingTests
{
    [Test]
    public void Text_lines_show_every_field()
    {
        var text = Render(new MessageTemplateTextFormatter("{Message:lj}{NewLine}", System.Globalization.CultureInfo.InvariantCulture));

        Assert.That(text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
        {
            "Job 1-0 issues d-1 for octo/repo attempt 2 started",
            "Job 1-0 issues d-1 for octo/repo attempt 2 succeeded in 1500 ms",
        }));
    }

    [Test]
    public void Json_lines_carry_every_field_by_name()
    {
        var json = Render(new CompactJsonFormatter());

        Assert.That(json, Does.Contain("\"Event\":\"issues\"").And.Contain("\"Delivery\":\"d-1\"").And.Contain("\"Repository\":\"octo/repo\"")
            .And.Contain("\"StreamId\":\"1-0\"").And.Contain("\"Attempt\":2").And.Contain("\"Outcome\":\"succeeded\""));
    }

    private static string Render(Serilog.Formatting.ITextFormatter formatter)
    {
        var output = new MemoryStream();
        var sink = new BufferedConsoleSink(formatter, output);
        using (var serilog = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger())
        using (var factory = new SerilogBridgeFactory(serilog))
        {
            var logger = factory.CreateLogger("Runner.Core.Queue.QueueWorker");
            JobLog.Started(logger, "1-0", "issues", "d-1", "octo/repo", 2);
            JobLog.Finished(logger, Microsoft.Extensions.Logging.LogLevel.Information, "1-0", "issues", "d-1", "octo/repo", 2, "succeeded", 1500);
        }

        // ToArray still works once the sink has disposed the stream.
        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }
}
