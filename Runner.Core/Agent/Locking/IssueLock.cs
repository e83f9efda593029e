using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Agent;
using Runner.Core.GitHub;
using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Core.Agent.Locking;

/// <summary>What <see cref="IssueLock.TryAcquireAsync"/> found.</summary>
/// <param name="Lease">The held lock, or null when the run has to wait (another run holds it, or an older waiter
/// goes first).</param>
/// <param name="Ahead">How many deliveries wait ahead of this one.</param>
internal sealed record IssueLockAttempt(IssueLockLease? Lease, long Ahead);

/// <summary>
/// One run per issue at a time, across every replica. The lock belongs to a delivery: its value is
/// <c>&lt;random&gt;|&lt;delivery&gt;</c>, so a reclaimed entry of the same delivery (its first worker crashed) takes it
/// over at once instead of waiting for it to expire. It lives <c>AGENT_LOCK_TTL</c>, is extended while the run lives
/// and is released only by its owner (compare-and-delete on the whole value), so an expired holder cannot free a
/// lock that another run took in the meantime. Deliveries that find it busy wait in a per-issue queue ordered by
/// their first request, and only the oldest waiter may take a free lock: they run in arrival order. A waiter that
/// stops asking for longer than its ticket's life (it finished elsewhere, was dead-lettered) drops out of the queue.
/// </summary>
internal sealed class IssueLock(IConnectionMultiplexer redis, TimeProvider timeProvider, ILogger<IssueLock> logger,
    IOptions<AgentOptions>? options = null)
{
    /// <summary>A waiter keeps its place while it asks again at least this often (or within the lock's TTL, if longer).</summary>
    internal static readonly TimeSpan MinTicketLife = TimeSpan.FromSeconds(30);

    private const string TokenSeparator = "|";

    /// <summary>
    /// KEYS: lock, waiters (score: first request ms), tickets (score: ms until which the waiter keeps its place).
    /// ARGV: delivery, token, ttl ms, ticket life ms. Returns { 'ok' | 'wait', waiters ahead }.
    /// </summary>
    private const string AcquireScript = """
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
          redis.call('ZREM', KEYS[2], gone)
          redis.call('ZREM', KEYS[3], gone)
        end
        local holder = redis.call('GET', KEYS[1])
        local separator = holder and string.find(holder, '|', 1, true)
        local mine = separator and string.sub(holder, separator + 1) == ARGV[1]
        local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
        if mine or (not holder and (not head or head == ARGV[1])) then
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
          redis.call('ZREM', KEYS[2], ARGV[1])
          redis.call('ZREM', KEYS[3], ARGV[1])
          return { 'ok', 0 }
        end
        redis.call('ZADD', KEYS[2], 'NX', now, ARGV[1])
        redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[1])
        redis.call('PEXPIRE', KEYS[2], ARGV[4])
        redis.call('PEXPIRE', KEYS[3], ARGV[4])
        return { 'wait', redis.call('ZRANK', KEYS[2], ARGV[1]) }
        """;

    private const string ExtendScript =
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

    private const string ReleaseScript =
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    /// <summary><c>AGENT_LOCK_PREFIX</c>; the default when constructed without options (tests).</summary>
    private readonly string prefix = options?.Value.LockPrefix ?? AgentOptions.DefaultLockPrefix;

    /// <summary>
    /// The lock key. Its waiting-queue keys are derived from it and one script touches all three, so on a Redis Cluster
    /// they must share a slot: the issue itself is the hash tag unless the prefix already carries one.
    /// </summary>
    public static RedisKey KeyFor(RepositoryRef repository, int number, string prefix = AgentOptions.DefaultLockPrefix)
    {
        var issue = $"{repository.FullName.ToLowerInvariant()}#{number.ToString(CultureInfo.InvariantCulture)}";
        return RedisKeyPrefix.HashTag(prefix) is null ? $"{prefix}{{{issue}}}" : $"{prefix}{issue}";
    }

    /// <summary>The sorted set of deliveries waiting for the issue, oldest first.</summary>
    public static RedisKey WaitersKeyFor(RepositoryRef repository, int number, string prefix = AgentOptions.DefaultLockPrefix) =>
        KeyFor(repository, number, prefix).Append(":waiting");

    private static RedisKey TicketsKeyFor(RepositoryRef repository, int number, string prefix) =>
        KeyFor(repository, number, prefix).Append(":tickets");

    /// <summary>Takes the lock for <paramref name="delivery"/>, or takes it over from an earlier entry of the same delivery.</summary>
    public async Task<IssueLockAttempt> TryAcquireAsync(RepositoryRef repository, int number, string delivery, TimeSpan ttl)
    {
        var key = KeyFor(repository, number, prefix);
        var token = Guid.NewGuid().ToString("N") + TokenSeparator + delivery;
        var ticketLife = ttl > MinTicketLife ? ttl : MinTicketLife;
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(AcquireScript,
            [key, WaitersKeyFor(repository, number, prefix), TicketsKeyFor(repository, number, prefix)],
            [delivery, token, (long)ttl.TotalMilliseconds, (long)ticketLife.TotalMilliseconds]))!;
        return (string?)result[0] == "ok"
            ? new IssueLockAttempt(new IssueLockLease(this, key, token, ttl), 0)
            : new IssueLockAttempt(null, (long)result[1]);
    }

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
