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

        var lease = (await issueLock.TryAcquireAsync(Repository, 1, "d1", TimeSpan.FromSeconds(30))).Lease;
        Assert.That(lease, Is.Not.Null);
        Assert.That((await issueLock.TryAcquireAsync(Repository, 1, "d2", TimeSpan.FromSeconds(30))).Lease, Is.Null, "held: a second run does not get it");

        // Pretend most of the TTL went by; a third of the TTL on the clock later the lease extends it again.
        await database.KeyExpireAsync(key, TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(async () => await database.KeyTimeToLiveAsync(key) > TimeSpan.FromSeconds(20));

        await lease!.DisposeAsync();
        Assert.That(await database.KeyExistsAsync(key), Is.False);
        var again = (await issueLock.TryAcquireAsync(Repository, 1, "d2", TimeSpan.FromSeconds(30))).Lease;
        Assert.That(again, Is.Not.Null, "the waiter takes it");
        await again!.DisposeAsync();
    }

    [Test]
    public async Task A_lease_whose_lock_expired_and_was_taken_neither_releases_it_nor_keeps_running_unnoticed()
    {
        var time = new FakeTimeProvider();
        var issueLock = new IssueLock(AgentRedis.Connection, time, NullLogger<IssueLock>.Instance);
        var key = IssueLock.KeyFor(Repository, 2);
        var database = AgentRedis.Connection.GetDatabase();
        var lease = (await issueLock.TryAcquireAsync(Repository, 2, "d1", TimeSpan.FromSeconds(30))).Lease;

        // The lock expired (e.g. a long GC pause) and another run took it.
        await database.StringSetAsync(key, "someone-else", TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => Task.FromResult(lease!.Lost.IsCancellationRequested));

        await lease!.DisposeAsync();
        Assert.That((string?)await database.StringGetAsync(key), Is.EqualTo("someone-else"), "release is token-checked");
        await database.KeyDeleteAsync(key);
    }

    [Test]
    public async Task A_reclaimed_entry_of_the_same_delivery_takes_over_the_lock_its_crashed_run_left()
    {
        var issueLock = new IssueLock(AgentRedis.Connection, new FakeTimeProvider(), NullLogger<IssueLock>.Instance);
        var key = IssueLock.KeyFor(Repository, 3);
        var database = AgentRedis.Connection.GetDatabase();

        // The first worker took the lock and died without releasing it: its lease is simply never disposed.
        var orphan = (await issueLock.TryAcquireAsync(Repository, 3, "crashed", TimeSpan.FromSeconds(30))).Lease;
        Assert.That(orphan, Is.Not.Null);

        Assert.That((await issueLock.TryAcquireAsync(Repository, 3, "other", TimeSpan.FromSeconds(30))).Lease, Is.Null,
            "another delivery still waits for it");
        var retry = (await issueLock.TryAcquireAsync(Repository, 3, "crashed", TimeSpan.FromSeconds(30))).Lease;
        Assert.That(retry, Is.Not.Null, "the same delivery's reclaimed entry takes it over at once");
        Assert.That((string?)await database.StringGetAsync(key), Does.EndWith("|crashed"));

        await retry!.DisposeAsync();
        Assert.That(await database.KeyExistsAsync(key), Is.False, "released by its new owner");
        var next = (await issueLock.TryAcquireAsync(Repository, 3, "other", TimeSpan.FromSeconds(30))).Lease;
        Assert.That(next, Is.Not.Null);
        await next!.DisposeAsync();
    }

    [Test]
    public async Task Deliveries_waiting_for_an_issue_take_it_in_arrival_order()
    {
        var issueLock = new IssueLock(AgentRedis.Connection, new FakeTimeProvider(), NullLogger<IssueLock>.Instance);
        var ttl = TimeSpan.FromSeconds(30);
        var holder = (await issueLock.TryAcquireAsync(Repository, 4, "first", ttl)).Lease;
        var second = await issueLock.TryAcquireAsync(Repository, 4, "second", ttl);
        var third = await issueLock.TryAcquireAsync(Repository, 4, "third", ttl);
        Assert.Multiple(() =>
        {
            Assert.That(second.Lease, Is.Null);
            Assert.That((second.Ahead, third.Ahead), Is.EqualTo((0L, 1L)));
        });

        await holder!.DisposeAsync();
        var early = await issueLock.TryAcquireAsync(Repository, 4, "third", ttl);
        Assert.That(early.Lease, Is.Null, "the lock is free, but an older waiter goes first");
        Assert.That(early.Ahead, Is.EqualTo(1));
        var turn = (await issueLock.TryAcquireAsync(Repository, 4, "second", ttl)).Lease;
        Assert.That(turn, Is.Not.Null, "the oldest waiter takes it");
        await turn!.DisposeAsync();
        var last = (await issueLock.TryAcquireAsync(Repository, 4, "third", ttl)).Lease;
        Assert.That(last, Is.Not.Null);
        await last!.DisposeAsync();
        Assert.That(await AgentRedis.Connection.GetDatabase().KeyExistsAsync(IssueLock.WaitersKeyFor(Repository, 4)), Is.False,
            "nobody waits any more");
    }

    [Test]
    public async Task A_waiter_that_stopped_asking_loses_its_place_in_the_queue()
    {
        var issueLock = new IssueLock(AgentRedis.Connection, new FakeTimeProvider(), NullLogger<IssueLock>.Instance);
        var ttl = TimeSpan.FromSeconds(30);
        var holder = (await issueLock.TryAcquireAsync(Repository, 5, "first", ttl)).Lease;
        await issueLock.TryAcquireAsync(Repository, 5, "gone", ttl);
        await issueLock.TryAcquireAsync(Repository, 5, "patient", ttl);

        // "gone" finished elsewhere (or was dead-lettered) and never asks again: its ticket ran out.
        await AgentRedis.Connection.GetDatabase().SortedSetAddAsync(IssueLock.KeyFor(Repository, 5).Append(":tickets"), "gone", 0);
        await holder!.DisposeAsync();

        var lease = (await issueLock.TryAcquireAsync(Repository, 5, "patient", ttl)).Lease;
        Assert.That(lease, Is.Not.Null);
        await lease!.DisposeAsync();
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition) =>
        Eventually.HoldsAsync(condition, "the lock condition", TimeSpan.FromSeconds(5));
}
