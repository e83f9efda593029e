using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Runner.Core.Redis;

public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// Registers one shared <see cref="IConnectionMultiplexer"/> for <c>REDIS_URL</c>. The connection does
    /// not abort when Redis is down at start: it keeps reconnecting, and callers see the outage as
    /// <see cref="RedisConnectionException"/> until Redis is back.
    /// </summary>
    public static IServiceCollection AddRunnerRedis(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RedisOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            return ConnectionMultiplexer.Connect(CreateConnectionOptions(options.Url));
        });
        return services;
    }

    /// <summary>The name every Runner connection shows in <c>CLIENT LIST</c>.</summary>
    public const string ClientName = "runner";

    public static ConfigurationOptions CreateConnectionOptions(string url)
    {
        if (!RedisUrl.TryParse(url, out var options, out var error))
        {
            throw new OptionsValidationException(RedisUrl.Variable, typeof(RedisOptions), [error]);
        }

        options.AbortOnConnectFail = false;
        options.ClientName = ClientName;
        options.ConnectTimeout = 5_000;
        options.ReconnectRetryPolicy = new ExponentialRetry(500, 10_000);

        // Fail at once while the endpoint of a key's slot is down instead of queueing for the command timeout: every
        // caller already retries with its own backoff, and a queued command would stay addressed to a dead cluster
        // master after its replica took over, failing seconds after the recovery (a second "outage").
        options.BacklogPolicy = BacklogPolicy.FailFast;

        // Replies complete on the .NET thread pool rather than on StackExchange.Redis's own scheduler threads: one
        // thread hand-off less per reply (measured with bench/peer, issue 12).
        options.SocketManager = SocketManager.ThreadPool;
        return options;
    }
}
