using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Agent;
using Runner.Core.GitHub;
using StackExchange.Redis;

namespace Runner.Core.Agent.Locking;

/// <summary>
/// One run per issue at a time, across every replica: <c>SET key token NX PX ttl</c>, extended while the run
/// lives and released only by its owner (a Lua compare-and-delete), so an expired holder cannot free a lock
/// that another run took in the meantime.
/// </summary>
internal sealed class IssueLock(IConnectionMultiplexer redis, TimeProvider timeProvider, ILogger<IssueLock> logger,
    IOptions<AgentOptions>? options = null)
{
    private const string ExtendScript =
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

    private const string ReleaseScript =
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    /// <summary><c>AGENT_LOCK_PREFIX</c>; the default when constructed without options (tests).</summary>
    private readonly string prefix = options?.Value.LockPrefix ?? AgentOptions.DefaultLockPrefix;

    public static RedisKey KeyFor(RepositoryRef repository, int number, string prefix = AgentOptions.DefaultLockPrefix) =>
        $"{prefix}{repository.FullName.ToLowerInvariant()}#{number.ToString(CultureInfo.InvariantCulture)}";

    /// <returns>The lease, or null when another run holds the lock.</returns>
    public async Task<IssueLockLease?> TryAcquireAsync(RepositoryRef repository, int number, TimeSpan ttl)
    {
        var key = KeyFor(repository, number, prefix);
        var token = Guid.NewGuid().ToString("N");
        var acquired = await redis.GetDatabase().StringSetAsync(key, token, ttl, When.NotExists);
        return acquired ? new IssueLockLease(this, key, token, ttl) : null;
    }

    /// <summary>How long the current holder's lock still lives, if anyone holds it.</summary>
    public async Task<TimeSpan?> RemainingAsync(RepositoryRef repository, int number) =>
        await redis.GetDatabase().KeyTimeToLiveAsync(KeyFor(repository, number, prefix));

    internal async Task<bool> ExtendAsync(RedisKey key, string token, TimeSpan ttl)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(
            ExtendScript, [key], [token, (long)ttl.TotalMilliseconds]);
        return (long)result == 1;
    }

    internal async Task ReleaseAsync(RedisKey key, string token)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [key], [token]);
        }
        catch (RedisException exception)
        {
            // The lock then expires on its own after its TTL; the next run only waits that long.
            logger.LogWarning("Could not release issue lock {LockKey}: {Error}", key.ToString(), exception.Message);
        }
    }

    internal TimeProvider TimeProvider => timeProvider;

    internal ILogger Logger => logger;
}
