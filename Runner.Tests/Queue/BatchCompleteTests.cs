using Runner.Core.Queue;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Queue;

/// <summary>
/// Completions written in batches, the next read and its begin folded into the same script, and the begin that rides
/// behind the blocking read: each step is atomic per job, a repeated script acts once, and a crash between the steps
/// loses no entry and completes none twice.
/// </summary>
public sealed class BatchCompleteTests : RedisTestBase
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>The crashed worker's running keys expire as its RUNNER_CLAIM_IDLE says, short here.</summary>
    private static readonly TimeSpan CrashedLease = TimeSpan.FromMilliseconds(500);

    [Test]
    public async Task A_batch_of_completions_written_twice_acts_once()
    {
        var stream = NewStream();
        var (store, settings) = Store(stream, "c1");
        await store.EnsureGroupAsync("0");
        foreach (var delivery in new[] { "a", "b", "c" })
        {
            await EnqueueAsync(Redis, stream, delivery);
        }

        var finished = await ReadAndHoldAsync(stream, "c1", "a", "b", "c");

        // Someone else holds c's running key now: its completion must not take it away.
        await Db.StringSetAsync($"{stream}:running:c", "other|9-0", Lease);
        await store.CompleteAndReadAsync(finished, 0, settings, DateTimeOffset.UtcNow);

        // The reply was lost and the batch is written again (what the loop does after a Redis error).
        var again = await store.CompleteAndReadAsync(finished, 0, settings, DateTimeOffset.UtcNow);

        Assert.Multiple(async () =>
        {
            Assert.That(again.Processed, Is.Zero, "nothing acked twice");
            Assert.That(await PendingAsync(Redis, stream), Is.Zero);
            Assert.That(await StatsProcessedAsync(stream), Is.EqualTo(3), "counted once per job, not once per write");
            foreach (var delivery in new[] { "a", "b", "c" })
            {
                Assert.That(await Db.KeyExistsAsync($"{stream}:done:{delivery}"), Is.True, delivery);
            }

            Assert.That(await Db.KeyExistsAsync($"{stream}:running:a"), Is.False);
            Assert.That((string?)await Db.StringGetAsync($"{stream}:running:c"), Is.EqualTo("other|9-0"));
        });
    }

    [Test]
    public async Task The_read_in_the_completion_script_begins_what_will_run_and_reads_no_more_than_its_slots()
    {
        var stream = NewStream();
        var (store, settings) = Store(stream, "c1");
        await store.EnsureGroupAsync("0");
        await Db.StringSetAsync($"{stream}:done:finished", "1-0");
        await Db.StringSetAsync($"{stream}:running:elsewhere", "other|9-0", Lease);
        var fresh = await EnqueueAsync(Redis, stream, "fresh");
        await EnqueueAsync(Redis, stream, "finished");
        await EnqueueAsync(Redis, stream, "elsewhere");
        await EnqueueAsync(Redis, stream, "unhandled", eventName: "star");
        await Db.StreamAddAsync(stream, [new NameValueEntry("event", "issues"), new NameValueEntry("payload", "{}")]);
        await EnqueueAsync(Redis, stream, "beyond-the-slots");

        var result = await store.CompleteAndReadAsync(null, 5, settings, DateTimeOffset.UtcNow);

        Assert.Multiple(async () =>
        {
            Assert.That(result.Entries, Has.Count.EqualTo(5));
            Assert.That(result.Verdicts, Is.EqualTo(new BeginResult?[]
            {
                BeginResult.Run, BeginResult.AlreadyDone, BeginResult.RunningElsewhere, null, null,
            }));
            Assert.That((string?)await Db.StringGetAsync($"{stream}:running:fresh"), Is.EqualTo(InFlightJob.TokenFor("c1", fresh)));
            Assert.That(await Db.KeyTimeToLiveAsync($"{stream}:running:fresh"), Is.LessThanOrEqualTo(Lease));
            Assert.That((string?)await Db.StringGetAsync($"{stream}:running:elsewhere"), Is.EqualTo("other|9-0"));
            Assert.That(await Db.KeyExistsAsync($"{stream}:running:unhandled"), Is.False, "no handler takes star: not begun");
            Assert.That(await PendingAsync(Redis, stream), Is.EqualTo(5), "held entries never exceed the slots asked for");
        });
    }

    [Test]
    public async Task The_begin_behind_the_blocking_read_begins_only_what_that_read_delivered_and_keeps_delivery_counts()
    {
        var stream = NewStream();
        var options = Options(stream, "c1");
        var (store, settings) = Store(stream, "c1");
        await store.EnsureGroupAsync("0");
        var earlier = await EnqueueAsync(Redis, stream, "earlier");
        await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, "c1", ">", 1);
        var fresh = await EnqueueAsync(Redis, stream, "fresh");
        await using var reader = new BlockingReader(Redis.Configuration, new QueueKeys(options), "c1", TimeSpan.FromSeconds(1));

        var (entries, verdicts) = await reader.ReadAsync(4, (earlier, settings));

        Assert.Multiple(async () =>
        {
            Assert.That(entries.Select(e => e.Id.ToString()), Is.EqualTo(new[] { fresh }));
            Assert.That(verdicts, Is.Not.Null);
            Assert.That(verdicts!.Keys, Is.EquivalentTo(new[] { fresh }), "the entry held from before is not begun again");
            Assert.That(verdicts[fresh], Is.EqualTo(BeginResult.Run));
            Assert.That((string?)await Db.StringGetAsync($"{stream}:running:fresh"), Is.EqualTo(InFlightJob.TokenFor("c1", fresh)));
            var pending = await Db.StreamPendingMessagesAsync(stream, QueueOptions.DefaultGroup, 10, "c1");
            Assert.That(pending.Select(p => p.DeliveryCount), Is.All.EqualTo(1), "reading for the begin delivered nothing again");
        });
    }

    [Test]
    public async Task A_crash_after_a_completion_script_whose_reply_was_lost_runs_the_read_entries_once_and_the_completed_ones_never_again()
    {
        var stream = NewStream();
        var (store, settings) = Store(stream, "crashed", CrashedLease);
        await store.EnsureGroupAsync("0");
        foreach (var delivery in new[] { "done-1", "done-2", "next-1", "next-2", "next-3" })
        {
            await EnqueueAsync(Redis, stream, delivery);
        }

        // The crashed worker ran done-1 and done-2; its next turn completed them and read (and began) the next three in
        // one script; then it died before it saw the reply.
        var finished = await ReadAndHoldAsync(stream, "crashed", "done-1", "done-2");
        var lost = await store.CompleteAndReadAsync(finished, 3, settings, DateTimeOffset.UtcNow);
        Assert.That(lost.Verdicts, Is.All.EqualTo(BeginResult.Run));

        var handler = await SurvivorCompletesAllAsync(Redis, stream, ["next-1", "next-2", "next-3"]);
        Assert.Multiple(async () =>
        {
            Assert.That(handler.RunsPerDelivery.Keys, Is.EquivalentTo(new[] { "next-1", "next-2", "next-3" }), "completed jobs are not run again");
            Assert.That(handler.RunsPerDelivery.Values, Is.All.EqualTo(1));
            Assert.That(await StatsProcessedAsync(stream), Is.EqualTo(5), "every job counted once");
            Assert.That(await Db.StreamLengthAsync($"{stream}:dead"), Is.Zero);
        });
    }

    [Test]
    public async Task A_crash_before_the_completions_were_written_loses_nothing_and_completes_each_entry_once()
    {
        var stream = NewStream();
        var (store, _) = Store(stream, "crashed", CrashedLease);
        await store.EnsureGroupAsync("0");
        foreach (var delivery in new[] { "ran-1", "ran-2", "read-1" })
        {
            await EnqueueAsync(Redis, stream, delivery);
        }

        // The crashed worker's handlers finished ran-1 and ran-2 and their complete steps waited for the next write;
        // read-1 was read and begun. Then it died: nothing was written.
        await ReadAndHoldAsync(stream, "crashed", "ran-1", "ran-2", "read-1");

        // At-least-once: the entries whose ack was not written run again, exactly once, on the survivor.
        var handler = await SurvivorCompletesAllAsync(Redis, stream, ["ran-1", "ran-2", "read-1"]);
        Assert.Multiple(async () =>
        {
            Assert.That(handler.RunsPerDelivery.Values, Is.All.EqualTo(1));
            Assert.That(await StatsProcessedAsync(stream), Is.EqualTo(3));
            Assert.That(await Db.StreamLengthAsync($"{stream}:dead"), Is.Zero);
        });
    }

    [Test]
    public async Task A_job_finishing_while_the_loop_waits_in_its_blocking_read_is_completed_without_waiting_for_the_read()
    {
        var stream = NewStream();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler { Behaviour = (_, _) => release.Task };

        // A long blocking read: were the completion left for the loop's next turn, it would wait this long.
        using var worker = Worker(Redis, Options(stream, configure: o =>
        {
            o.Concurrency = 2;
            o.ReadBlock = TimeSpan.FromMinutes(5);
        }), handlers: handler);
        await new QueueStore(Redis, new QueueKeys(Options(stream))).EnsureGroupAsync("0");
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "slow");
        await EventuallyAsync(() => handler.Count == 1, "the job started");

        // The loop has a free slot and an empty stream: it blocks in its read (XREADGROUP seen blocked on the server).
        await EventuallyAsync(async () => await BlockedClientsAsync() >= 1, "the loop waits in its blocking read");
        release.SetResult();
        await EventuallyAsync(async () => await Db.KeyExistsAsync($"{stream}:done:slow") && await PendingAsync(Redis, stream) == 0,
            "completed while the read still blocks", TimeSpan.FromSeconds(30));
        Assert.That(await BlockedClientsAsync(), Is.GreaterThanOrEqualTo(1), "the read had not returned");
        await worker.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task An_entry_the_read_script_began_but_the_worker_finds_malformed_is_dead_lettered_without_keeping_its_running_key()
    {
        var stream = NewStream();
        await new QueueStore(Redis, new QueueKeys(Options(stream))).EnsureGroupAsync("0");

        // The scripts begin an entry by its fields without parsing the payload; the worker then finds it is not JSON.
        using var worker = Worker(Redis, Options(stream, configure: o => o.ClaimIdle = TimeSpan.FromMinutes(1)), handlers: new RecordingHandler());
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "not-json", payload: "{not json");
        await EventuallyAsync(async () => await Db.StreamLengthAsync($"{stream}:dead") == 1 && await PendingAsync(Redis, stream) == 0,
            "dead-lettered and acked");
        await worker.StopAsync(CancellationToken.None);

        Assert.That(await Db.KeyExistsAsync($"{stream}:running:not-json"), Is.False,
            "a valid entry of the same delivery must not find it running elsewhere for a whole claim idle");
    }

    private async Task<long> BlockedClientsAsync()
    {
        var info = (string)(await Db.ExecuteAsync("INFO", "clients"))!;
        var line = info.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("blocked_clients:", StringComparison.Ordinal));
        return long.Parse(line["blocked_clients:".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Reads the next entries as <paramref name="consumer"/> and takes their running keys, as the worker does.</summary>
    private async Task<List<FinishedJob>> ReadAndHoldAsync(string stream, string consumer, params string[] deliveries) =>
        await ReadAndHoldAsync(stream, consumer, consumer == "crashed" ? CrashedLease : null, deliveries);

    private async Task<List<FinishedJob>> ReadAndHoldAsync(string stream, string consumer, TimeSpan? lease, string[] deliveries)
    {
        var read = await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, consumer, ">", deliveries.Length);
        Assert.That(read.Select(e => Field(e, "delivery")), Is.EqualTo(deliveries));
        var finished = new List<FinishedJob>();
        foreach (var entry in read)
        {
            var held = new InFlightJob(entry.Id.ToString(), consumer);
            await Db.StringSetAsync($"{stream}:running:{Field(entry, "delivery")}", held.Token, lease ?? Lease);
            finished.Add(new FinishedJob(held, Field(entry, "delivery"), "issues"));
        }

        return finished;
    }

    private async Task<long> StatsProcessedAsync(string stream)
    {
        long total = 0;
        foreach (var key in Redis.GetServer(Redis.GetEndPoints()[0]).Keys(pattern: $"{stream}:stats:*"))
        {
            total += (long?)await Db.HashGetAsync(key, "processed") ?? 0;
        }

        return total;
    }

    private (QueueStore Store, HotPathSettings Settings) Store(string stream, string consumer, TimeSpan? lease = null) =>
        (new QueueStore(Redis, new QueueKeys(Options(stream))), new HotPathSettings(consumer, ["issues"], lease ?? Lease, TimeSpan.FromHours(1)));
}
