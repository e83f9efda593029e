using Runner.Core.Queue;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Queue;

/// <summary>A handler's <see cref="JobDeferredException"/>: back to the queue with the same attempt, bounded by RUNNER_DEFER_LIMIT.</summary>
public sealed class DeferralTests : RedisTestBase
{
    [Test]
    public async Task A_deferred_job_comes_back_with_the_same_attempt_and_spends_none()
    {
        var stream = NewStream();
        var deferrals = 0;
        var handler = new RecordingHandler
        {
            // More deferrals than attempts allowed: if a deferral counted as an attempt, the job would be dead-lettered.
            Behaviour = (_, _) => Interlocked.Increment(ref deferrals) <= 4
                ? Task.FromException(new JobDeferredException("the issue is busy", TimeSpan.FromMilliseconds(50)))
                : Task.CompletedTask,
        };
        using var worker = Worker(Redis, Options(stream, configure: o => o.MaxAttempts = 2), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "waits");

        await EventuallyAsync(async () => await Db.KeyExistsAsync($"{stream}:done:waits"), "the job ran after its deferrals", TimeSpan.FromSeconds(10));
        await worker.StopAsync(CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(handler.Jobs.Select(job => job.Attempt), Is.EqualTo(new[] { 1, 1, 1, 1, 1 }));
            Assert.That(await Db.StreamLengthAsync($"{stream}:dead"), Is.Zero);
            Assert.That(await PendingAsync(Redis, stream), Is.Zero);
            Assert.That(await Db.KeyExistsAsync($"{stream}:running:waits"), Is.False);
        });
    }

    [Test]
    public async Task A_deferred_copy_keeps_when_its_attempt_was_first_deferred()
    {
        var stream = NewStream();
        var handler = new RecordingHandler { Behaviour = (_, _) => throw new JobDeferredException("busy", TimeSpan.FromHours(1)) };
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "parked");
        await EventuallyAsync(async () => await Db.SortedSetLengthAsync($"{stream}:retry") == 1, "deferred copy scheduled");
        await worker.StopAsync(CancellationToken.None);

        var member = (await Db.SortedSetRangeByRankWithScoresAsync($"{stream}:retry")).Single();
        var text = (string)member.Element!;
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("7:attempt1:1"), "same attempt");
            Assert.That(text, Does.Contain("14:deferred_since"));
            Assert.That(DateTimeOffset.FromUnixTimeMilliseconds((long)member.Score) - DateTimeOffset.UtcNow,
                Is.GreaterThan(TimeSpan.FromMinutes(30)), "due after the handler's RetryAfter");
        });
    }

    [Test]
    public async Task A_job_deferred_longer_than_the_defer_limit_is_dead_lettered_with_the_reason()
    {
        var stream = NewStream();
        var handler = new RecordingHandler
        {
            Behaviour = (_, _) => throw new JobDeferredException("octo/repo#1 is being handled by another run", TimeSpan.FromMilliseconds(100)),
        };
        using var worker = Worker(Redis, Options(stream, configure: o => o.DeferLimit = TimeSpan.FromMilliseconds(500)), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "stuck");

        await EventuallyAsync(async () => await Db.StreamLengthAsync($"{stream}:dead") == 1, "dead-lettered after the defer limit", TimeSpan.FromSeconds(10));
        await worker.StopAsync(CancellationToken.None);
        var dead = (await Db.StreamRangeAsync($"{stream}:dead")).Single();
        Assert.Multiple(async () =>
        {
            Assert.That(Field(dead, "error"), Does.StartWith("deferred for longer than RUNNER_DEFER_LIMIT").And.Contain("being handled by another run"));
            Assert.That(Field(dead, "attempts"), Is.EqualTo("1"));
            Assert.That(handler.Jobs.Select(job => job.Attempt), Is.All.EqualTo(1));
            Assert.That(await Db.SortedSetLengthAsync($"{stream}:retry"), Is.Zero);
        });
    }

    [Test]
    public async Task A_failed_attempt_after_deferrals_starts_its_next_attempt_with_a_fresh_defer_clock()
    {
        var stream = NewStream();
        var runs = 0;
        var failedAt = DateTimeOffset.MaxValue;
        var handler = new RecordingHandler
        {
            Behaviour = (_, _) =>
            {
                switch (Interlocked.Increment(ref runs))
                {
                    case 1:
                        throw new JobDeferredException("busy", TimeSpan.FromMilliseconds(50));
                    case 2:
                        failedAt = DateTimeOffset.UtcNow;
                        throw new TransientJobException("flaky");
                    default:
                        throw new JobDeferredException("busy", TimeSpan.FromHours(1));
                }
            },
        };
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "mixed");
        await EventuallyAsync(() => handler.Count == 3, "deferred, failed, deferred again", TimeSpan.FromSeconds(10));
        await EventuallyAsync(async () => await Db.SortedSetLengthAsync($"{stream}:retry") == 1, "parked");
        await worker.StopAsync(CancellationToken.None);

        Assert.That(handler.Jobs.Select(job => job.Attempt), Is.EqualTo(new[] { 1, 1, 2 }));
        var member = (string)(await Db.SortedSetRangeByRankAsync($"{stream}:retry")).Single()!;
        Assert.That(member, Does.Contain("7:attempt1:2"));
        var since = long.Parse(System.Text.RegularExpressions.Regex.Match(member, "14:deferred_since13:(\\d{13})").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(since, Is.GreaterThanOrEqualTo(failedAt.ToUnixTimeMilliseconds()), "the first deferral's time is not carried into attempt 2");
    }
}
