using StackExchange.Redis;

namespace Runner.Core.Redis;

/// <summary>
/// Key prefixes operators may set (<c>LLM_REDIS_PREFIX</c>, <c>AGENT_LOCK_PREFIX</c>) and the Redis Cluster hash-tag
/// rule: when a key holds a <c>{</c> followed later by a <c>}</c> with at least one byte between them, only those bytes
/// choose the key's slot, so keys sharing a tag live on one cluster node.
/// </summary>
public static class RedisKeyPrefix
{
    private const int MaxLength = 100;

    /// <summary>The hash tag Redis Cluster would hash for <paramref name="key"/>, or null when it hashes the whole key.</summary>
    public static string? HashTag(string key)
    {
        var open = key.IndexOf('{', StringComparison.Ordinal);
        if (open < 0)
        {
            return null;
        }

        var close = key.IndexOf('}', open + 1);
        return close > open + 1 ? key[(open + 1)..close] : null;
    }

    /// <summary>Null when <paramref name="value"/> is a usable prefix, else a one-line reason naming <paramref name="variable"/>.</summary>
    public static string? Validate(string variable, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{variable} must not be empty";
        }

        if (value.Length > MaxLength || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return $"{variable} must be at most {MaxLength} characters without spaces or control characters";
        }

        return value.Contains('{', StringComparison.Ordinal) && HashTag(value) is null
            ? $"{variable} has a '{{' without a later '}}' enclosing at least one character: Redis Cluster would ignore it as a hash tag (write e.g. {{runner}}:llm:)"
            : null;
    }

    /// <summary>Whether the connection talks to a Redis Cluster (as opposed to a single primary, replicas or Sentinel).</summary>
    public static bool IsCluster(IConnectionMultiplexer redis) =>
        redis.GetServers().Any(server => server.IsConnected && server.ServerType == ServerType.Cluster);
}
