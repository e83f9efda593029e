using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;
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

        builder.Services.AddSerilog(configuration => Configure(configuration, level, json));
        return builder;
    }

    public static LoggerConfiguration Configure(LoggerConfiguration configuration, LogEventLevel level, bool json)
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
            return configuration.WriteTo.Console(new CompactJsonFormatter());
        }

        return configuration.WriteTo.Console(
            outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} {SourceContext:l}: {Message:lj}{NewLine}{Exception}",
            formatProvider: System.Globalization.CultureInfo.InvariantCulture);
    }

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
