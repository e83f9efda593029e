namespace Runner.Core.Llm.RateLimiting;

/// <summary>
/// Lua run atomically by Redis, so replicas never race on the shared state. Times are Unix milliseconds from the
/// caller's <see cref="TimeProvider"/> (replicas' clocks are NTP-synchronised; the bucket never moves back in time).
/// </summary>
internal static class RedisScripts
{
    /// <summary>KEYS[1] bucket hash; ARGV now_ms, tokens_per_ms, burst. Returns 0 (token taken) or ms to wait.</summary>
    public const string TakeToken = """
        local now = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local burst = tonumber(ARGV[3])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(state[1])
        local ts = tonumber(state[2])
        if tokens == nil or ts == nil then
          tokens = burst
          ts = now
        end
        if now > ts then
          tokens = math.min(burst, tokens + (now - ts) * rate)
          ts = now
        end
        local wait = 0
        if tokens >= 1 then
          tokens = tokens - 1
        else
          wait = math.ceil((1 - tokens) / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 60000)
        return wait
        """;

    /// <summary>KEYS[1] pause key; ARGV until_ms, ttl_ms. Moves the pause later, never earlier.</summary>
    public const string ExtendPause = """
        local current = tonumber(redis.call('GET', KEYS[1]))
        local untilMs = tonumber(ARGV[1])
        if current == nil or current < untilMs then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        return 0
        """;

    /// <summary>KEYS[1] pause key. Returns the pause's end in Unix ms, or 0.</summary>
    public const string ReadPause = "return tonumber(redis.call('GET', KEYS[1]) or '0')";
}
