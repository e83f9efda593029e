using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Runner.Core.Diagnostics;

namespace Runner.Hosting;

/// <summary>
/// Runner's meter is always there for <c>dotnet-counters</c>; OTLP export is added only when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, so a plain <c>docker compose up</c> opens no connection to a collector.
/// </summary>
internal static class MetricsExport
{
    /// <summary>Meters of the shared framework worth exporting next to Runner's own.</summary>
    /// <summary><c>service.name</c> when OTEL_SERVICE_NAME is unset.</summary>
    public const string DefaultServiceName = "runner";

    private static readonly string[] FrameworkMeters =
    [
        "System.Runtime",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
    ];

    public static bool IsEnabled(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[SettingCatalog.OtlpEndpointVariable]);

    public static TBuilder AddRunnerMetricsExport<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.TryAddSingleton<RunnerMetrics>();
        if (!IsEnabled(builder.Configuration))
        {
            return builder;
        }

        // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT/_PROTOCOL/_HEADERS and OTEL_METRIC_EXPORT_INTERVAL from
        // configuration itself; only the service name needs a default when OTEL_SERVICE_NAME is unset.
        var serviceNameSet = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (!serviceNameSet)
                {
                    resource.AddService(DefaultServiceName, serviceVersion: StartupBanner.Version);
                }
            })
            .WithMetrics(metrics => metrics
                .AddMeter(RunnerMetrics.MeterName)
                .AddMeter(FrameworkMeters)
                .AddOtlpExporter());
        return builder;
    }
}
