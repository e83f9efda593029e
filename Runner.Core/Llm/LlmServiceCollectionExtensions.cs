using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Configuration;
using Runner.Core.Diagnostics;
using Runner.Core.Llm.RateLimiting;
using StackExchange.Redis;

namespace Runner.Core.Llm;

public static class LlmServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ILlmClient"/> (a singleton), <see cref="LlmModelCatalog"/> and <see cref="LlmOptions"/>
    /// validated at start. The rate limiter shares its bucket and pause through the <see cref="IConnectionMultiplexer"/>
    /// registered by <c>AddRunnerRedis</c> when there is one, and works per process otherwise.
    /// </summary>
    public static IServiceCollection AddRunnerLlm(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LlmOptions>()
            .Bind(configuration)
            .BindDurations(configuration,
                (LlmOptions.TimeoutVariable, (o, v) => o.Timeout = v),
                (LlmOptions.MaxDurationVariable, (o, v) => o.MaxDuration = v),
                (LlmOptions.MinIntervalVariable, (o, v) => o.MinInterval = v))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmOptions>, LlmOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Random.Shared);
        services.TryAddSingleton<RunnerMetrics>();
        services.AddLogging();

        // The client manages its own timeouts (silence and total), so HttpClient's 100 s total must not interfere;
        // it logs every attempt itself, so the factory's per-request logging is off.
        services.AddHttpClient(LlmClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = System.Net.DecompressionMethods.All,
            })
            .RemoveAllLoggers();

        services.TryAddSingleton<LlmPauses>();
        services.TryAddSingleton(sp => new LlmRateLimiter(
            sp.GetRequiredService<IOptions<LlmOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Random>(),
            sp.GetRequiredService<LlmPauses>(),
            sp.GetService<IConnectionMultiplexer>(),
            sp.GetRequiredService<ILogger<LlmRateLimiter>>()));
        services.TryAddSingleton<ILlmClient, LlmClient>();
        services.TryAddSingleton<LlmModelCatalog>();
        return services;
    }
}
