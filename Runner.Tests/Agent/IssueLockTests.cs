using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Runner.Core.Agent.Locking;
using Runner.Core.GitHub;

namespace Runner.Tests.Agent;

public sealed class IssueLockTests
{
    private static readonly RepositoryRef Repository = new("octo-org", "lock-tests");

    [Test]
    public async Task The_lock_is_exclusive_extended_while_held_and_released_by_its_owner()
    {
        var time = new FakeTimeProvider();
        var issueLock = new IssueLock(AgentRedis.Connection, time, NullLogger<IssueLock>.Instance);
        var key = IssueLock.KeyFor(Repository, 1);
        var database = AgentRedis.Connection.GetDatabase();

        var lease = await issueLock.TryAcquireAsync(Repository, 1, TimeSpan.FromSeconds(30));
        Assert.That(lease, Is.Not.Null);
        Assert.That(await issueLock.TryAcquireAsync(Repository, 1, TimeSpan.FromSeconds(30)), Is.Null, "held: a second run does not get it");

        // Pretend most of the TTL went by; a third of the TTL on the clock later the lease extends it again.
        await database.KeyExpireAsync(key, TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(async () => await database.KeyTimeToLiveAsync(key) > TimeSpan.FromSeconds(20));

        await lease!.DisposeAsync();
        Assert.That(await database.KeyExistsAsync(key), Is.False);
        var again = await issueLock.TryAcquireAsync(Repository, 1, TimeSpan.FromSeconds(30));
        Assert.That(again, Is.Not.Null);
        await again!.DisposeAsync();
    }

    [Test]
    public async Task A_lease_whose_lock_expired_and_was_taken_neither_releases_it_nor_keeps_running_unnoticed()
    {
        var time = new FakeTimeProvider();
        var issueLock = new IssueLock(AgentRedis.Connection, time, NullLogger<IssueLock>.Instance);
        var key = IssueLock.KeyFor(Repository, 2);
        var database = AgentRedis.Connection.GetDatabase();
        var lease = await issueLock.TryAcquireAsync(Repository, 2, TimeSpan.FromSeconds(30));

        // The lock expired (e.g. a long GC pause) and another run took it.
        await database.StringSetAsync(key, "someone-else", TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => Task.FromResult(lease!.Lost.IsCancellationRequested));

        await lease!.DisposeAsync();
        Assert.That((string?)await database.StringGetAsync(key), Is.EqualTo("someone-else"), "release is token-checked");
        await database.KeyDeleteAsync(key);
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition) =>
        Eventually.HoldsAsync(condition, "the lock condition", TimeSpan.FromSeconds(5));
}
