using System.Text;
using Runner.Hosting;
using Serilog;
using Serilog.Formatting.Display;

namespace Runner.Tests.Ops;

/// <summary>The batched standard-output sink: every line arrives, in order, soon and at shutdown.</summary>
public sealed class BufferedConsoleSinkTests
{
    [Test]
    public async Task Lines_arrive_in_order_within_the_flush_interval_without_a_write_per_line()
    {
        var output = new RecordingStream();
        using var sink = new BufferedConsoleSink(new MessageTemplateTextFormatter("{Message:lj}{NewLine}"), output);
        using var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        for (var i = 1; i <= 100; i++)
        {
            logger.Information("line {Number}", i);
        }

        await Eventually.HoldsAsync(() => Task.FromResult(output.Text.Contains("line 100", StringComparison.Ordinal)),
            "the timer wrote the batch", TimeSpan.FromSeconds(10));
        Assert.That(output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            Is.EqualTo(Enumerable.Range(1, 100).Select(i => $"line {i}")));
        Assert.That(output.Writes, Is.LessThan(100), "lines are written together, not one write each");
    }

    [Test]
    public async Task A_full_batch_is_written_by_the_timer_thread_not_by_the_thread_that_logs()
    {
        // The thread that logs is often the queue's read loop (jobs start inline): formatting a thousand lines there
        // stalled every job behind it. Even a batch that fills up before the interval must go out on another thread.
        var output = new RecordingStream();
        using var sink = new BufferedConsoleSink(new MessageTemplateTextFormatter("{Message:lj}{NewLine}"), output);
        using var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        var loggingThread = Environment.CurrentManagedThreadId;
        for (var i = 1; i <= 1_500; i++)
        {
            logger.Information("line {Number}", i);
        }

        await Eventually.HoldsAsync(() => Task.FromResult(output.Text.Contains("line 1500", StringComparison.Ordinal)),
            "every line was written", TimeSpan.FromSeconds(10));
        Assert.That(output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            Is.EqualTo(Enumerable.Range(1, 1_500).Select(i => $"line {i}")));
        Assert.That(output.WritingThreads, Does.Not.Contain(loggingThread));
    }

    [Test]
    public void Disposing_the_logger_writes_what_is_still_buffered()
    {
        var output = new RecordingStream();
        var sink = new BufferedConsoleSink(new MessageTemplateTextFormatter("{Message:lj}{NewLine}"), output);
        var logger = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        logger.Information("last words");

        // What the host does on SIGTERM: it disposes the service provider, and with it the logger and its sinks.
        logger.Dispose();

        Assert.That(output.Text, Is.EqualTo("last words" + Environment.NewLine));
    }

    private sealed class RecordingStream : MemoryStream
    {
        private readonly Lock gate = new();
        private readonly StringBuilder text = new();
        private readonly HashSet<int> writingThreads = [];

        public int Writes { get; private set; }

        public IReadOnlyCollection<int> WritingThreads
        {
            get
            {
                lock (gate)
                {
                    return [.. writingThreads];
                }
            }
        }

        public string Text
        {
            get
            {
                lock (gate)
                {
                    return text.ToString();
                }
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (gate)
            {
                Writes++;
                writingThreads.Add(Environment.CurrentManagedThreadId);
                text.Append(Encoding.UTF8.GetString(buffer));
            }
        }
    }
}
