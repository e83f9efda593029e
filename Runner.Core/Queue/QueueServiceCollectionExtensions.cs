using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Runner.Core.Configuration;
using Runner.Core.Diagnostics;

namespace Runner.Core.Queue;

public static class QueueServiceCollectionExtensions
{
    /// <summary>Extra time the host gives the worker beyond RUNNER_SHUTDOWN_TIMEOUT to release what it holds.</summary>
    private static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Registers the queue options (RUNNER_* variables, validated at start), the <see cref="QueueWorker"/> hosted
    /// service, <see cref="QueueAdmin"/> for the CLI verbs, <see cref="RunnerMetrics"/> and <see cref="TimeProvider.System"/>.
    /// Needs <c>AddRunnerRedis</c> for the <c>IConnectionMultiplexer</c>.
    /// </summary>
    public static IServiceCollection AddRunnerQueue(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<QueueOptions>()
            .Bind(configuration)
            .Configure(options => ReadDurations(configuration, options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QueueOptions>, QueueOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RunnerMetrics>();
        services.TryAddSingleton<QueueAdmin>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, QueueWorker>());
        services.Configure<HostOptions>(host =>
        {
            // Read the variable directly: HostOptions is resolved while the host is built, before validation runs, and
            // a bad value must surface as the validator's one line rather than as an exception here.
            var raw = configuration[QueueOptions.ShutdownTimeoutVariable];
            var drain = !string.IsNullOrWhiteSpace(raw) && DurationSetting.TryParse(raw, out var value) && value >= TimeSpan.Zero
                ? value
                : new QueueOptions().ShutdownTimeout;
            if (host.ShutdownTimeout < drain + ShutdownMargin)
            {
                host.ShutdownTimeout = drain + ShutdownMargin;
            }
        });
        return services;
    }

    private static void ReadDurations(IConfiguration configuration, QueueOptions options)
    {
        options.ClaimIdle = DurationSetting.Read(configuration, QueueOptions.ClaimIdleVariable, options.ClaimIdle);
        options.ShutdownTimeout = DurationSetting.Read(configuration, QueueOptions.ShutdownTimeoutVariable, options.ShutdownTimeout);
        options.ReadBlock = DurationSetting.Read(configuration, QueueOptions.ReadBlockVariable, options.ReadBlock);
        options.RetryBaseDelay = DurationSetting.Read(configuration, QueueOptions.RetryBaseDelayVariable, options.RetryBaseDelay);
        options.RetryMaxDelay = DurationSetting.Read(configuration, QueueOptions.RetryMaxDelayVariable, options.RetryMaxDelay);
        options.IdempotencyWindow = DurationSetting.Read(configuration, QueueOptions.IdempotencyWindowVariable, options.IdempotencyWindow);
    }
}
