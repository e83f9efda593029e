using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Serilog.Debugging;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Parsing;
using FrameworkLogger = Microsoft.Extensions.Logging.ILogger;

namespace Runner.Hosting;

/// <summary>
/// The host's <see cref="ILoggerFactory"/>: Serilog's own (<see cref="SerilogLoggerProvider"/>) with a shorter road
/// for the lines the code base writes: source-generated <c>LoggerMessage</c> states and the values of the
/// <c>LogInformation</c>-style extension methods alike are a list of named values ending with the template. Such a
/// state becomes a Serilog event with exactly the properties, template, level, timestamp, trace and span that
/// <c>Serilog.Extensions.Logging</c> gives it, but without its enumerator, its
/// growing property dictionary and its template lookup per line: on a busy worker those lines are written on the
/// queue's read loop, one or two per job (bench/FINDINGS.md, "Console logging"). Anything else (scopes, other states,
/// destructured <c>@</c> and stringified <c>$</c> values) goes to Serilog's logger unchanged.
/// </summary>
internal sealed class SerilogBridgeFactory : ILoggerFactory
{
    private const string OriginalFormat = "{OriginalFormat}";

    // Bounded like Serilog.Extensions.Logging's caches: a template made at run time must not grow memory for ever.
    private const int MaxCachedTemplates = 1000;
    private const int MaxCachedEventIds = 1024;

    private readonly SerilogLoggerProvider provider;
    private readonly Serilog.ILogger enrichedLogger;
    private readonly MessageTemplateParser parser = new();
    private readonly ConcurrentDictionary<string, MessageTemplate> templates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(int Id, string? Name), LogEventPropertyValue> eventIds = new();

    /// <param name="logger">Disposed with the factory, which flushes its sinks.</param>
    public SerilogBridgeFactory(Serilog.Core.Logger logger)
    {
        provider = new SerilogLoggerProvider(logger, dispose: true);
        // What the provider gives each of its loggers: itself as enricher, for the properties of the framework's scopes.
        enrichedLogger = logger.ForContext([provider]);
    }

    public FrameworkLogger CreateLogger(string categoryName) =>
        new BridgeLogger(this, provider.CreateLogger(categoryName), enrichedLogger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, categoryName));

    public void AddProvider(ILoggerProvider provider) =>
        SelfLog.WriteLine("Ignoring added logger provider {0}", provider);

    public void Dispose() => provider.Dispose();

    private MessageTemplate Template(string text)
    {
        if (templates.TryGetValue(text, out var template))
        {
            return template;
        }

        template = parser.Parse(text);
        if (templates.Count < MaxCachedTemplates)
        {
            templates.TryAdd(text, template);
        }

        return template;
    }

    private LogEventPropertyValue EventIdValue(EventId eventId)
    {
        var key = (eventId.Id, eventId.Name);
        if (eventIds.TryGetValue(key, out var value))
        {
            return value;
        }

        List<LogEventProperty> parts = new(2);
        if (eventId.Id != 0)
        {
            parts.Add(new LogEventProperty("Id", new ScalarValue(eventId.Id)));
        }

        if (eventId.Name is not null)
        {
            parts.Add(new LogEventProperty("Name", new ScalarValue(eventId.Name)));
        }

        value = new StructureValue(parts);
        if (eventIds.Count < MaxCachedEventIds)
        {
            eventIds.TryAdd(key, value);
        }

        return value;
    }

    private sealed class BridgeLogger(SerilogBridgeFactory factory, FrameworkLogger serilogLogger, Serilog.ILogger logger) : FrameworkLogger
    {
        public bool IsEnabled(LogLevel logLevel) =>
            logLevel != LogLevel.None && logger.IsEnabled(LevelConvert.ToSerilogLevel(logLevel));

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => serilogLogger.BeginScope(state);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            LogEvent? logEvent = null;
            var taken = false;
            try
            {
                taken = TryCreate(LevelConvert.ToSerilogLevel(logLevel), eventId, state, exception, out logEvent);
            }
            catch (Exception error)
            {
                taken = true;
                SelfLog.WriteLine("Failed to write event through {0}: {1}", nameof(SerilogBridgeFactory), error);
            }

            if (!taken)
            {
                serilogLogger.Log(logLevel, eventId, state, exception, formatter);
            }
            else if (logEvent is not null)
            {
                // Outside the try, as Serilog.Extensions.Logging does: AuditTo sinks throw back to the caller on purpose.
                logger.Write(logEvent);
            }
        }

        /// <summary>
        /// The event Serilog.Extensions.Logging would make of a <c>LoggerMessage</c> state, or false for any other
        /// state, which then goes to it unchanged.
        /// </summary>
        private bool TryCreate<TState>(LogEventLevel level, EventId eventId, TState state, Exception? exception, out LogEvent? logEvent)
        {
            logEvent = null;
            if (state is not IReadOnlyList<KeyValuePair<string, object?>> values
                || values.Count == 0
                || values[^1] is not { Key: OriginalFormat, Value: string text })
            {
                return false;
            }

            // The state's values, the event id and the enrichers' SourceContext: no resizing on the way.
            var properties = new Dictionary<string, LogEventPropertyValue>(values.Count + 2);
            for (var i = 0; i < values.Count - 1; i++)
            {
                var (name, value) = values[i];
                if (name.Length == 0 || name[0] is '@' or '$' || name == OriginalFormat)
                {
                    return false;
                }

                if (value is null or string or int or long && LogEventProperty.IsValidName(name))
                {
                    properties[name] = new ScalarValue(value);
                }
                else if (logger.BindProperty(name, value, destructureObjects: false, out var bound))
                {
                    properties[bound.Name] = bound.Value;
                }
            }

            if (eventId.Id != 0 || eventId.Name is not null)
            {
                properties["EventId"] = factory.EventIdValue(eventId);
            }

            var activity = Activity.Current;
            logEvent = LogEvent.UnstableAssembleFromParts(
                DateTimeOffset.Now,
                level,
                exception,
                factory.Template(text),
                properties,
                activity?.TraceId ?? default,
                activity?.SpanId ?? default);
            return true;
        }
    }
}
