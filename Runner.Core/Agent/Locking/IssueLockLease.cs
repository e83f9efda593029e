using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Runner.Core.Agent.Locking;

/// <summary>A held issue lock. Extends itself every third of its TTL until disposed; <see cref="Lost"/> fires
/// when an extension finds the lock gone (it expired and another run took it).</summary>
internal sealed class IssueLockLease : IAsyncDisposable
{
    private readonly IssueLock owner;
    private readonly RedisKey key;
    private readonly string token;
    private readonly TimeSpan ttl;
    private readonly CancellationTokenSource stop = new();
    private readonly CancellationTokenSource lost = new();
    private readonly Task renewal;

    internal IssueLockLease(IssueLock owner, RedisKey key, string token, TimeSpan ttl)
    {
        this.owner = owner;
        this.key = key;
        this.token = token;
        this.ttl = ttl;
        renewal = RenewAsync();
    }

    public CancellationToken Lost => lost.Token;

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await renewal;
        await owner.ReleaseAsync(key, token);
        stop.Dispose();
        lost.Dispose();
    }

    private async Task RenewAsync()
    {
        var interval = ttl / 3;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, owner.TimeProvider, stop.Token);
                if (!await owner.ExtendAsync(key, token, ttl))
                {
                    owner.Logger.LogWarning("Issue lock {LockKey} was lost before the run finished", key.ToString());
                    await lost.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RedisException exception)
            {
                // One failed extension is not a lost lock: the TTL still has two thirds left, try again.
                owner.Logger.LogWarning("Could not extend issue lock {LockKey}: {Error}", key.ToString(), exception.Message);
            }
        }
    }
}
