using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Runner.Hosting;
using Runner.Webhook;

namespace Runner.Tests.Ops;

/// <summary>The real <c>runner webhook</c> application on 127.0.0.1 and a free port.</summary>
internal sealed class WebhookServer : IAsyncDisposable
{
    public const string Secret = "It's a Secret to Everybody";

    private readonly WebApplication app;

    private WebhookServer(WebApplication app, Uri baseAddress)
    {
        this.app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<WebhookServer> StartAsync(string redisUrl, string stream = "runner:jobs")
    {
        var builder = WebhookHost.CreateBuilder(new Dictionary<string, string?>
        {
            ["REDIS_URL"] = redisUrl,
            ["GITHUB_WEBHOOK_SECRET"] = Secret,
            ["RUNNER_WEBHOOK_URLS"] = "http://127.0.0.1:0",
            ["RUNNER_STREAM"] = stream,
            ["RUNNER_LOG_LEVEL"] = "warning",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty,
        });
        var app = WebhookHost.Build(builder);
        Assert.That(RunnerHost.TryValidateConfiguration(app.Services, out var error), Is.True, error);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new WebhookServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
