using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Runner.Core.Configuration;
using Microsoft.Extensions.Logging;
using Runner.Core.Diagnostics;
using StackExchange.Redis;

namespace Runner.Core.Queue;

public static class QueueServiceCollectionExtensions
{
    /// <summary>Extra time the host gives the worker beyond RUNNER_SHUTDOWN_TIMEOUT to release what it holds.</summary>
    private static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Binds <see cref="QueueOptions"/> to the <c>RUNNER_*</c> variables and validates them at start. Everything that
    /// reads the queue's settings (worker, webhook receiver, CLI verbs) registers them through this one method; calling
    /// it twice registers them once.
    /// </summary>
    public static IServiceCollection AddQueueOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<QueueOptions>) && d.ImplementationType == typeof(QueueOptionsValidator)))
        {
            return services;
        }

        services.AddOptions<QueueOptions>()
            .Bind(configuration)
            .BindDurations(configuration,
                (QueueOptions.ClaimIdleVariable, (o, v) => o.ClaimIdle = v),
                (QueueOptions.ShutdownTimeoutVariable, (o, v) => o.ShutdownTimeout = v),
                (QueueOptions.ReadBlockVariable, (o, v) => o.ReadBlock = v),
                (QueueOptions.RetryBaseDelayVariable, (o, v) => o.RetryBaseDelay = v),
                (QueueOptions.RetryMaxDelayVariable, (o, v) => o.RetryMaxDelay = v),
                (QueueOptions.IdempotencyWindowVariable, (o, v) => o.IdempotencyWindow = v),
                (QueueOptions.DeferLimitVariable, (o, v) => o.DeferLimit = v))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QueueOptions>, QueueOptionsValidator>());
        return services;
    }

    /// <summary>
    /// Registers the queue options (<see cref="AddQueueOptions"/>), the <see cref="QueueWorker"/> hosted
    /// service, <see cref="QueueAdmin"/> for the CLI verbs, <see cref="RunnerMetrics"/> and <see cref="TimeProvider.System"/>.
    /// Needs <c>AddRunnerRedis</c> for the <c>IConnectionMultiplexer</c>.
    /// </summary>
    public static IServiceCollection AddRunnerQueue(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddQueueOptions(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RunnerMetrics>();
        services.TryAddSingleton(Random.Shared);
        services.TryAddSingleton<QueueAdmin>();

        // The worker's parts: one of each per process, each a service so it can be replaced or tested alone.
        services.TryAddSingleton(sp => new QueueKeys(Options(sp)));
        services.TryAddSingleton(sp => new QueueStore(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<QueueKeys>()));
        services.TryAddSingleton<IJobOutcomeStore>(sp => sp.GetRequiredService<QueueStore>());
        services.TryAddSingleton(sp => new BlockingReader(
            sp.GetRequiredService<IConnectionMultiplexer>().Configuration, sp.GetRequiredService<QueueKeys>(), Options(sp).Consumer, Options(sp).ReadBlock));
        services.TryAddSingleton(sp => new JobSlots(Options(sp).Concurrency));
        services.TryAddSingleton<InFlightJobs>();
        services.TryAddSingleton<RetryWakeup>();
        services.TryAddSingleton(sp => new RedisOutage(
            sp.GetRequiredService<ILogger<QueueWorker>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Random>()));
        services.TryAddSingleton<JobExecutor>();
        services.TryAddSingleton(sp => new QueueHousekeeping(
            sp.GetRequiredService<QueueStore>(), Options(sp), sp.GetRequiredService<InFlightJobs>(), sp.GetRequiredService<RetryWakeup>(),
            sp.GetRequiredService<RedisOutage>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<QueueWorker>>()));
        services.TryAddSingleton(sp => new QueueWorker(
            sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOptions<QueueOptions>>(), sp.GetRequiredService<QueueStore>(), sp.GetRequiredService<BlockingReader>(),
            sp.GetRequiredService<JobExecutor>(), sp.GetRequiredService<QueueHousekeeping>(), sp.GetRequiredService<JobSlots>(),
            sp.GetRequiredService<InFlightJobs>(), sp.GetRequiredService<RedisOutage>(), sp.GetRequiredService<RunnerMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<QueueWorker>>(), sp.GetService<IHostApplicationLifetime>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, QueueWorker>(sp => sp.GetRequiredService<QueueWorker>()));
        services.Configure<HostOptions>(host =>
        {
            // Read the variable directly: HostOptions is resolved while the host is built, before validation runs, and
            // a bad value must surface as the validator's one line rather than as an exception here.
            var drain = DurationSetting.TryRead(configuration, QueueOptions.ShutdownTimeoutVariable, out var value)
                ? value
                : QueueOptions.DefaultShutdownTimeout;
            if (host.ShutdownTimeout < drain + ShutdownMargin)
            {
                host.ShutdownTimeout = drain + ShutdownMargin;
            }
        });
        return services;
    }

    private static QueueOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<QueueOptions>>().Value;
}
