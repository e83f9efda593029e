using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using System.Text;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace Runner.Hosting;

/// <summary>Serilog to the console: text for <c>docker logs</c>, compact JSON for log shippers.</summary>
internal static class LoggingSetup
{
    public const string LevelVariable = "RUNNER_LOG_LEVEL";
    public const string FormatVariable = "RUNNER_LOG_FORMAT";

    private const string LevelError = LevelVariable + " must be one of trace, debug, information, warning, error, critical";
    private const string FormatError = FormatVariable + " must be text or json";

    public static TBuilder AddRunnerLogging<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var levelValid = TryParseLevel(builder.Configuration[LevelVariable], out var level);
        var formatValid = TryParseJson(builder.Configuration[FormatVariable], out var json);

        // A bad value must not surface as a stack trace from the builder: it becomes one validation line at start,
        // while logging still works with the defaults meanwhile.
        builder.Services.AddOptions<LoggingValidity>()
            .Validate(_ => levelValid, LevelError)
            .Validate(_ => formatValid, FormatError)
            .ValidateOnStart();

        // Redirected standard output (docker logs, a pipe) is written in batches; a terminal gets every line at once.
        var buffered = Console.IsOutputRedirected;
        builder.Services.AddSingleton<ILoggerFactory>(_ =>
            new SerilogBridgeFactory(Configure(new LoggerConfiguration(), level, json, buffered).CreateLogger()));
        return builder;
    }

    public static LoggerConfiguration Configure(LoggerConfiguration configuration, LogEventLevel level, bool json) =>
        Configure(configuration, level, json, buffered: false);

    /// <param name="buffered">
    /// Write through <see cref="BufferedConsoleSink"/>: one write(2) per 100 ms instead of one per line, with the same
    /// text, so per-job lines cost little CPU on a busy worker.
    /// </param>
    public static LoggerConfiguration Configure(LoggerConfiguration configuration, LogEventLevel level, bool json, bool buffered)
    {
        configuration
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        if (json)
        {
            // CLEF: "@t", "@mt" (the template), "@l" when not Information, then every property as a JSON field.
            return buffered
                ? configuration.WriteTo.Sink(new BufferedConsoleSink(new CompactJsonFormatter(), Console.OpenStandardOutput()))
                : configuration.WriteTo.Console(new CompactJsonFormatter());
        }

        return buffered
            ? configuration.WriteTo.Sink(new BufferedConsoleSink(new TextLineFormatter(), Console.OpenStandardOutput()))
            : configuration.WriteTo.Console(outputTemplate: TextTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The text line; <see cref="TextLineFormatter"/> writes the same bytes faster and falls back to it.</summary>
    internal const string TextTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} {SourceContext:l}: {Message:lj}{NewLine}{Exception}";

    public static bool TryParseLevel(string? value, out LogEventLevel level)
    {
        LogEventLevel? parsed = value?.Trim().ToLowerInvariant() switch
        {
            null or "" => LogEventLevel.Information,
            "trace" or "verbose" => LogEventLevel.Verbose,
            "debug" => LogEventLevel.Debug,
            "info" or "information" => LogEventLevel.Information,
            "warn" or "warning" => LogEventLevel.Warning,
            "error" => LogEventLevel.Error,
            "fatal" or "critical" => LogEventLevel.Fatal,
            _ => null,
        };
        level = parsed ?? LogEventLevel.Information;
        return parsed is not null;
    }

    public static bool TryParseJson(string? value, out bool json)
    {
        var format = value?.Trim().ToLowerInvariant();
        json = format == "json";
        return format is null or "" or "text" or "json";
    }

    /// <summary>Carries nothing: it only gives the logging variables a place in the start-up validation.</summary>
    private sealed class LoggingValidity;
}

/// <summary>
/// Log lines to a stream in batches. An event is only queued where it is logged (a job's thread); the lines are
/// formatted and written, in order, at most <see cref="FlushInterval"/> after the first queued one, by a timer thread,
/// so a busy worker neither formats nor makes a write(2) per line on its jobs' path. Also written: at once by the
/// timer thread when <see cref="FlushSoonAt"/> events wait, by the thread that logs only when the writer falls
/// <see cref="MaxQueued"/> behind (memory stays bounded), when the logger is disposed (host shutdown, SIGTERM), at
/// process exit and on an unhandled exception, so a crash's last lines are not lost and <c>docker logs -f</c> still
/// shows a line within a tenth of a second.
/// </summary>
internal sealed class BufferedConsoleSink : ILogEventSink, IDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Queued events at which the timer thread writes them without waiting for the interval. Small on purpose: a
    /// queued event survives every collection until it is written; at 1,024 the busy worker's collections kept
    /// promoting them, 7-11 µs more CPU per job than at 256 (peer bench c=8, bench/FINDINGS.md "Console logging").
    /// </summary>
    private const int FlushSoonAt = 256;

    /// <summary>
    /// Queued events at which the logging thread writes them itself. Only reached when the writer cannot keep up:
    /// formatting a batch inline stalls a job's thread (the queue's read loop, when jobs start inline), which is why
    /// the ordinary full batch goes to the timer thread instead.
    /// </summary>
    private const int MaxQueued = 16 * FlushSoonAt;

    private readonly ITextFormatter formatter;
    private readonly StreamWriter output;
    private readonly Lock queueGate = new();
    private readonly Lock writeGate = new();
    private readonly Timer timer;
    private List<LogEvent> queued = [];
    private List<LogEvent> spare = [];
    private bool disposed;

    public BufferedConsoleSink(ITextFormatter formatter, Stream stream)
    {
        this.formatter = formatter;
        output = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 32 * 1024) { AutoFlush = false };
        timer = new Timer(static state => ((BufferedConsoleSink)state!).Flush(), this, Timeout.Infinite, Timeout.Infinite);
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        AppDomain.CurrentDomain.UnhandledException += OnExit;
    }

    public void Emit(LogEvent logEvent)
    {
        bool full;
        lock (queueGate)
        {
            if (disposed)
            {
                return;
            }

            queued.Add(logEvent);
            if (queued.Count == 1)
            {
                timer.Change(FlushInterval, Timeout.InfiniteTimeSpan);
            }
            else if (queued.Count == FlushSoonAt)
            {
                timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }

            full = queued.Count >= MaxQueued;
        }

        if (full)
        {
            Flush();
        }
    }

    /// <summary>Formats and writes every queued event, in the order they were logged.</summary>
    public void Flush()
    {
        // One writer at a time, and the swap under it: batches go out in the order they were taken.
        lock (writeGate)
        {
            List<LogEvent> batch;
            lock (queueGate)
            {
                if (queued.Count == 0)
                {
                    return;
                }

                batch = queued;
                queued = spare;
                spare = batch;
            }

            try
            {
                foreach (var logEvent in batch)
                {
                    formatter.Format(logEvent, output);
                }

                output.Flush();
            }
            catch (IOException)
            {
                // Nobody reads standard output any more (closed pipe): the lines have nowhere to go.
            }
            finally
            {
                batch.Clear();
            }
        }
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        AppDomain.CurrentDomain.UnhandledException -= OnExit;
        lock (queueGate)
        {
            disposed = true;
        }

        Flush();
        timer.Dispose();
    }

    private void OnExit(object? sender, EventArgs e) => Flush();
}
