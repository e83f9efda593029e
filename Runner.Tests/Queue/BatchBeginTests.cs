using Runner.Core.Queue;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Queue;

/// <summary>The begin script for a whole read batch: same verdicts as one begin per job, and a crash after it loses nothing.</summary>
public sealed class BatchBeginTests : RedisTestBase
{
    [Test]
    public async Task The_batch_begin_gives_each_entry_the_verdict_a_single_begin_would()
    {
        var stream = NewStream();
        var store = new QueueStore(Redis, new QueueKeys(Options(stream)));
        await Db.StringSetAsync($"{stream}:done:finished", "1-0");
        await Db.StringSetAsync($"{stream}:running:elsewhere", "other|9-0", TimeSpan.FromMinutes(1));
        await Db.StringSetAsync($"{stream}:running:mine-again", "me|3-0", TimeSpan.FromMinutes(1));

        var verdicts = await store.TryBeginManyAsync(
        [
            ("finished", "me|1-0"),
            ("elsewhere", "me|2-0"),
            ("mine-again", "me|3-0"),
            ("fresh", "me|4-0"),
            ("fresh", "me|5-0"),
        ], TimeSpan.FromSeconds(30));

        Assert.That(verdicts, Is.EqualTo(new[]
        {
            BeginResult.AlreadyDone, BeginResult.RunningElsewhere, BeginResult.Run, BeginResult.Run, BeginResult.RunningElsewhere,
        }));
        Assert.Multiple(async () =>
        {
            Assert.That((string?)await Db.StringGetAsync($"{stream}:running:fresh"), Is.EqualTo("me|4-0"), "the first entry of a delivery takes it");
            Assert.That((string?)await Db.StringGetAsync($"{stream}:running:elsewhere"), Is.EqualTo("other|9-0"));
            Assert.That(await Db.KeyTimeToLiveAsync($"{stream}:running:fresh"), Is.LessThanOrEqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(await Db.KeyExistsAsync($"{stream}:running:finished"), Is.False, "a done delivery takes no running key");
        });
    }

    [Test]
    public async Task A_crash_right_after_the_batch_begin_loses_no_entry_and_runs_none_twice()
    {
        var stream = NewStream();
        var options = Options(stream, "crashed", o => o.ClaimIdle = TimeSpan.FromMilliseconds(500));
        var store = new QueueStore(Redis, new QueueKeys(options));
        await store.EnsureGroupAsync("0");
        var deliveries = new[] { "b1", "b2", "b3" };
        foreach (var delivery in deliveries)
        {
            await EnqueueAsync(Redis, stream, delivery);
        }

        // What a worker does before it dies: read a batch and take its running keys in one script; then nothing.
        var read = await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, "crashed", ">", 3);
        var verdicts = await store.TryBeginManyAsync(
            [.. read.Select(entry => (Field(entry, "delivery"), $"crashed|{entry.Id}"))], options.ClaimIdle);
        Assert.That(verdicts, Is.All.EqualTo(BeginResult.Run));

        var handler = await SurvivorCompletesAllAsync(Redis, stream, deliveries);

        Assert.Multiple(async () =>
        {
            Assert.That(handler.RunsPerDelivery.Keys, Is.EquivalentTo(deliveries));
            Assert.That(handler.RunsPerDelivery.Values, Is.All.EqualTo(1), "each ran once");
            Assert.That(await Db.StreamLengthAsync($"{stream}:dead"), Is.Zero);
            foreach (var delivery in deliveries)
            {
                Assert.That(await Db.KeyExistsAsync($"{stream}:running:{delivery}"), Is.False);
            }
        });
    }

    [Test]
    public async Task A_batch_with_two_entries_of_one_delivery_runs_it_once()
    {
        var stream = NewStream();
        var handler = new RecordingHandler();
        await new QueueStore(Redis, new QueueKeys(Options(stream))).EnsureGroupAsync("0");
        await EnqueueAsync(Redis, stream, "twice");
        await EnqueueAsync(Redis, stream, "twice");
        await EnqueueAsync(Redis, stream, "once");

        // Both copies arrive in one read batch; one runs, the other is deferred and then skipped as done.
        using var worker = Worker(Redis, Options(stream, configure: o => o.Concurrency = 8), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EventuallyAsync(async () => await PendingAsync(Redis, stream) == 0 && await Db.SortedSetLengthAsync($"{stream}:retry") == 0
            && await Db.KeyExistsAsync($"{stream}:done:twice") && await Db.KeyExistsAsync($"{stream}:done:once"), "all settled", TimeSpan.FromSeconds(10));
        await worker.StopAsync(CancellationToken.None);
        Assert.That(handler.RunsPerDelivery["twice"], Is.EqualTo(1));
        Assert.That(handler.RunsPerDelivery["once"], Is.EqualTo(1));
    }
}
