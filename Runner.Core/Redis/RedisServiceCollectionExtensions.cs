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

    public static ConfigurationOptions CreateConnectionOptions(string url)
    {
        if (!RedisUrl.TryParse(url, out var options, out var error))
        {
            throw new OptionsValidationException(RedisUrl.Variable, typeof(RedisOptions), [error]);
        }

        options.AbortOnConnectFail = false;
        options.ClientName = "runner";
        options.ConnectTimeout = 5_000;
        options.ReconnectRetryPolicy = new ExponentialRetry(500, 10_000);
        return options;
    }
}
