using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using Runner.Core.Diagnostics;
using Runner.Hosting;
using Runner.Tests.Infrastructure;

namespace Runner.Tests.Ops;

public sealed class MetricsExportTests
{
    [Test]
    public async Task Runner_metrics_are_exported_over_otlp_when_the_endpoint_is_set()
    {
        var bodies = new ConcurrentQueue<byte[]>();
        await using var collector = await LoopbackHttpServer.StartAsync(app => app.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            bodies.Enqueue(buffer.ToArray());
            return Results.Ok();
        }));
        var builder = RunnerHost.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseAddress.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "100",
        });
        builder.AddRunnerMetricsExport();
        using var host = builder.Build();
        await host.StartAsync();

        host.Services.GetRequiredService<RunnerMetrics>().JobsProcessed.Add(3);
        await Eventually.HoldsAsync(
            () => bodies.Any(b => Encoding.UTF8.GetString(b).Contains("runner.jobs.processed", StringComparison.Ordinal)),
            "an OTLP export naming runner.jobs.processed", TimeSpan.FromSeconds(15));
        await host.StopAsync();
    }

    [Test]
    public async Task Without_an_endpoint_nothing_is_exported_but_the_meter_is_observable_as_dotnet_counters_sees_it()
    {
        var builder = RunnerHost.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty });
        builder.AddRunnerMetricsExport();
        using var host = builder.Build();
        var metrics = host.Services.GetRequiredService<RunnerMetrics>();
        var observed = new ConcurrentQueue<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this host's instrument: other tests may have Runner meters of their own.
            if (instrument.Meter.Name == RunnerMetrics.MeterName && ReferenceEquals(instrument, metrics.JobsDead))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => observed.Enqueue(value));
        listener.Start();

        metrics.JobsDead.Add(2);

        Assert.That(host.Services.GetService<MeterProvider>(), Is.Null);
        Assert.That(observed, Is.EqualTo(new long[] { 2 }));
    }
}
