using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Hosting;

namespace Runner.Webhook;

/// <summary><c>runner webhook</c>: Kestrel with two routes, in the same binary and image as the worker.</summary>
internal static class WebhookHost
{
    public static StartupBanner Banner { get; } = new("webhook",
    [
        .. SettingCatalog.Redis,
        .. SettingCatalog.Stream,
        new(WebhookOptions.SecretVariable, null, SettingKind.Secret),
        new(WebhookOptions.UrlsVariable, WebhookOptions.DefaultUrl),
        new(WebhookOptions.PortVariable, null),
        .. SettingCatalog.Operations,
    ]);

    public static Task<int> RunAsync(CancellationToken cancellationToken) =>
        RunnerHost.RunAsync(Build(CreateBuilder()), Banner, cancellationToken);

    /// <param name="overrides">Configuration on top of the environment (tests).</param>
    public static WebApplicationBuilder CreateBuilder(IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.AddRunnerLogging();
        builder.AddRunnerMetricsExport();
        builder.Services.AddRunnerWebhook(builder.Configuration);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = WebhookOptions.MaxBodyBytes;
        });
        builder.WebHost.UseUrls([.. WebhookOptions.From(builder.Configuration).ListenUrls]);
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.MapRunnerWebhook();
        return app;
    }

    public static IServiceCollection AddRunnerWebhook(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddRunnerRedis(configuration);
        services.AddQueueOptions(configuration);
        services.AddOptions<WebhookOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WebhookReceiver>();
        services.AddHostedService<WebhookWarmup>();
        return services;
    }

    public static IEndpointRouteBuilder MapRunnerWebhook(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/webhook", (Microsoft.AspNetCore.Http.HttpContext context, WebhookReceiver receiver) => receiver.ReceiveAsync(context));
        endpoints.MapGet("/healthz", (WebhookReceiver receiver, CancellationToken cancellationToken) => receiver.HealthAsync(cancellationToken));
        return endpoints;
    }

    /// <summary>Connects to Redis before the first delivery arrives, so that delivery does not pay for it.</summary>
    private sealed class WebhookWarmup(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<WebhookReceiver>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
