using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Runner.Hosting;

/// <summary>Serilog to the console: text for <c>docker logs</c>, compact JSON for log shippers.</summary>
internal static class LoggingSetup
{
    public const string LevelVariable = "RUNNER_LOG_LEVEL";
    public const string FormatVariable = "RUNNER_LOG_FORMAT";

    public static HostApplicationBuilder AddRunnerLogging(this HostApplicationBuilder builder)
    {
        var level = ParseLevel(builder.Configuration[LevelVariable]);
        var json = string.Equals(builder.Configuration[FormatVariable], "json", StringComparison.OrdinalIgnoreCase);

        builder.Services.AddSerilog(configuration =>
        {
            configuration
                .MinimumLevel.Is(level)
                .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
                .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
                .Enrich.FromLogContext();
            if (json)
            {
                configuration.WriteTo.Console(new CompactJsonFormatter());
            }
            else
            {
                configuration.WriteTo.Console(
                    outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Level:u3} {SourceContext:l}: {Message:lj}{NewLine}{Exception}",
                    formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        return builder;
    }

    private static LogEventLevel ParseLevel(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => LogEventLevel.Information,
        "trace" or "verbose" => LogEventLevel.Verbose,
        "debug" => LogEventLevel.Debug,
        "info" or "information" => LogEventLevel.Information,
        "warn" or "warning" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        "fatal" or "critical" => LogEventLevel.Fatal,
        _ => throw new ArgumentException($"{LevelVariable} must be one of trace, debug, information, warning, error"),
    };
}
