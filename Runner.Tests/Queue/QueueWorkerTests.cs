using Microsoft.Extensions.Logging.Testing;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Runner.Core.Queue;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Queue;

public sealed class QueueWorkerTests : RedisTestBase
{
    private const string Payload = """{"action":"opened","repository":{"full_name":"octo/repo"}}""";



    [Test]
    public async Task Job_is_acked_only_after_its_handler_finished()
    {
        var stream = NewStream();
        var release = new TaskCompletionSource();
        var handler = new RecordingHandler { Behaviour = (_, _) => release.Task };
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);

        var id = await EnqueueAsync(Redis, stream, "d-1");
        await EventuallyAsync(() => handler.Count == 1, "handler started");
        Assert.That(await PendingAsync(Redis, stream), Is.EqualTo(1), "entry must stay pending while its handler runs");

        release.SetResult();
        await EventuallyAsync(async () => await PendingAsync(Redis, stream) == 0, "entry acked");
        Assert.That(await Db.KeyExistsAsync($"{stream}:done:d-1"), Is.True, "completed delivery is remembered");
        var job = handler.Jobs.Single();
        Assert.Multiple(() =>
        {
            Assert.That(job.StreamId, Is.EqualTo(id));
            Assert.That(job.Event, Is.EqualTo("issues"));
            Assert.That(job.Attempt, Is.EqualTo(1));
            Assert.That(job.EnqueuedAt, Is.Not.Null);
        });
        await worker.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task Entries_pushed_before_the_group_existed_are_processed()
    {
        var stream = NewStream();
        await EnqueueAsync(Redis, stream, "early-1");
        await EnqueueAsync(Redis, stream, "early-2");
        var handler = new RecordingHandler();
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);

        await EventuallyAsync(() => handler.Count == 2, "both early jobs handled");
        await worker.StopAsync(CancellationToken.None);
        Assert.That(handler.RunsPerDelivery.Keys, Is.EquivalentTo(new[] { "early-1", "early-2" }));
    }

    [Test]
    public async Task Transient_failures_are_retried_with_backoff_then_dead_lettered_with_the_original_fields()
    {
        var stream = NewStream();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var handler = new RecordingHandler { Behaviour = (_, _) => throw new TransientJobException("GitHub answered 502") };
        var options = Options(stream, configure: o =>
        {
            o.MaxAttempts = 3;
            o.RetryBaseDelay = TimeSpan.FromSeconds(10);
            o.RetryMaxDelay = TimeSpan.FromMinutes(5);
        });
        using var worker = Worker(Redis, options, time, handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        var id = await new JobProducer(Redis, stream, TimeProvider.System).EnqueueAsync("issues", "d-retry", Payload);

        for (var attempt = 1; attempt < 3; attempt++)
        {
            var expected = attempt;
            await EventuallyAsync(async () => handler.Count == expected && await Db.SortedSetLengthAsync($"{stream}:retry") == 1,
                $"attempt {expected} failed and its retry is scheduled");
            Assert.That(await PendingAsync(Redis, stream), Is.Zero, "a failed attempt is acked once its retry is scheduled");
            var due = (await Db.SortedSetRangeByRankWithScoresAsync($"{stream}:retry")).Single().Score;
            var backoff = due - time.GetUtcNow().ToUnixTimeMilliseconds();
            var ceiling = 10_000 * Math.Pow(2, attempt - 1);
            Assert.That(backoff, Is.InRange(ceiling / 2 - 50, ceiling), "exponential backoff with jitter");

            // One big step makes the retry due; small ones after it reach a mover that was between its pass and its
            // next sleep when the big step came (that sleep would otherwise wait for a clock nobody moves).
            time.Advance(TimeSpan.FromMinutes(1));
            await EventuallyAsync(() =>
            {
                if (handler.Count > expected)
                {
                    return true;
                }

                time.Advance(TimeSpan.FromMilliseconds(20));
                return false;
            }, $"attempt {expected + 1} ran");
        }

        await EventuallyAsync(async () => await Db.StreamLengthAsync($"{stream}:dead") == 1, "dead-lettered after the last attempt");
        await worker.StopAsync(CancellationToken.None);

        Assert.That(handler.Jobs.Select(j => j.Attempt), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(handler.Jobs.Select(j => j.Delivery).Distinct(), Is.EqualTo(new[] { "d-retry" }));
        Assert.That(await Db.SortedSetLengthAsync($"{stream}:retry"), Is.Zero);
        Assert.That(await PendingAsync(Redis, stream), Is.Zero);
        var dead = (await Db.StreamRangeAsync($"{stream}:dead")).Single();
        Assert.Multiple(() =>
        {
            Assert.That(Field(dead, "error"), Does.Contain("TransientJobException: GitHub answered 502"));
            Assert.That(Field(dead, "attempts"), Is.EqualTo("3"));
            Assert.That(DateTimeOffset.Parse(Field(dead, "failed_at"), System.Globalization.CultureInfo.InvariantCulture),
                Is.EqualTo(time.GetUtcNow()).Within(TimeSpan.FromSeconds(1)));
            Assert.That(Field(dead, "event"), Is.EqualTo("issues"));
            Assert.That(Field(dead, "delivery"), Is.EqualTo("d-retry"));
            Assert.That(Field(dead, "payload"), Is.EqualTo(Payload));
            Assert.That(Field(dead, "stream_id"), Is.Not.EqualTo(id), "the last attempt ran from a re-enqueued entry");
        });

        // What `runner status` shows for the last hour (the attempts ran minutes apart on the fake clock).
        var status = await new QueueAdmin(Redis, Microsoft.Extensions.Options.Options.Create(options), time).GetStatusAsync();
        Assert.That(status.Throughput[^1] with { Window = default }, Is.EqualTo(new OutcomeWindow(default, Processed: 0, Retried: 2, Dead: 1)));
    }

    [Test]
    public async Task Retry_after_longer_than_the_backoff_is_honoured()
    {
        var stream = NewStream();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var handler = new RecordingHandler
        {
            Behaviour = (_, _) => throw new TransientJobException("rate limited", TimeSpan.FromMinutes(30)),
        };
        using var worker = Worker(Redis, Options(stream, configure: o =>
        {
            o.RetryBaseDelay = TimeSpan.FromSeconds(1);
            o.RetryPollInterval = TimeSpan.FromSeconds(1);
        }), time, handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "d-ra");

        await EventuallyAsync(async () => await Db.SortedSetLengthAsync($"{stream}:retry") == 1, "retry scheduled");
        var due = (await Db.SortedSetRangeByRankWithScoresAsync($"{stream}:retry")).Single().Score;
        Assert.That(due - time.GetUtcNow().ToUnixTimeMilliseconds(), Is.EqualTo(30 * 60_000).Within(100));

        // A retry due now, put beside the one due in 30 minutes: once the mover has moved it, it has looked at both
        // at a time past 29 minutes and left the early one where it was.
        time.Advance(TimeSpan.FromMinutes(29));
        var witness = RetryMember.Encode(
        [
            new NameValueEntry(JobFields.Event, "issues"), new NameValueEntry(JobFields.Delivery, "witness"),
            new NameValueEntry(JobFields.Payload, Payload), new NameValueEntry(JobFields.Attempt, "1"),
        ]);
        await Db.SortedSetAddAsync($"{stream}:retry", witness, time.GetUtcNow().ToUnixTimeMilliseconds());
        await EventuallyAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
            return handler.RunsPerDelivery.ContainsKey("witness");
        }, "the mover ran after 29 minutes");
        Assert.That(handler.RunsPerDelivery["d-ra"], Is.EqualTo(1), "not retried before Retry-After");
        // Small steps again: the mover may still be finishing the witness's pass, and a sleep it starts after one big
        // step would wait for a clock nobody moves.
        time.Advance(TimeSpan.FromMinutes(2));
        await EventuallyAsync(() =>
        {
            if (handler.RunsPerDelivery["d-ra"] == 2)
            {
                return true;
            }

            time.Advance(TimeSpan.FromMilliseconds(20));
            return false;
        }, "retried after Retry-After");
        await worker.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task Permanent_failure_goes_straight_to_the_dead_letter_stream()
    {
        var stream = NewStream();
        var handler = new RecordingHandler { Behaviour = (_, _) => throw new PermanentJobException("repository is archived") };
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "d-perm");

        await EventuallyAsync(async () => await Db.StreamLengthAsync($"{stream}:dead") == 1, "dead-lettered");
        await worker.StopAsync(CancellationToken.None);
        var dead = (await Db.StreamRangeAsync($"{stream}:dead")).Single();
        Assert.Multiple(async () =>
        {
            Assert.That(handler.Count, Is.EqualTo(1));
            Assert.That(Field(dead, "error"), Is.EqualTo("PermanentJobException: repository is archived"));
            Assert.That(Field(dead, "attempts"), Is.EqualTo("1"));
            Assert.That(await PendingAsync(Redis, stream), Is.Zero);
            Assert.That(await Db.SortedSetLengthAsync($"{stream}:retry"), Is.Zero);
        });
    }

    [Test]
    public async Task Malformed_entries_are_dead_lettered_with_the_reason_and_never_stop_the_worker()
    {
        var stream = NewStream();
        (NameValueEntry[] Fields, string Reason)[] malformed =
        [
            ([new("delivery", "m1"), new("payload", "{}")], "'event'"),
            ([new("event", "issues"), new("delivery", ""), new("payload", "{}")], "'delivery'"),
            ([new("event", "issues"), new("delivery", "m3")], "'payload'"),
            ([new("event", "issues"), new("delivery", "m4"), new("payload", "{}"), new("attempt", "two")], "'attempt'"),
            ([new("event", "issues"), new("delivery", "m5"), new("payload", "{}"), new("attempt", "0")], "'attempt'"),
            ([new("event", "issues"), new("delivery", "m6"), new("payload", "{not json")], "not valid JSON"),
        ];
        foreach (var (fields, _) in malformed)
        {
            await Db.StreamAddAsync(stream, fields);
        }

        await EnqueueAsync(Redis, stream, "valid-after");
        var handler = new RecordingHandler();
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);

        await EventuallyAsync(() => handler.Count == 1, "the valid job after the malformed ones ran");
        await EventuallyAsync(async () => await Db.StreamLengthAsync($"{stream}:dead") == malformed.Length, "all malformed dead-lettered");
        await worker.StopAsync(CancellationToken.None);

        var dead = await Db.StreamRangeAsync($"{stream}:dead");
        foreach (var (fields, reason) in malformed)
        {
            // Entries run concurrently, so dead entries come in any order: find each by its original fields.
            var match = dead.Where(d => d.Values.Skip(5).SequenceEqual(fields)).ToList();
            Assert.That(match, Has.Count.EqualTo(1), "original fields follow the dead-letter fields");
            Assert.That(Field(match[0], "error"), Does.StartWith("malformed entry").And.Contain(reason));
        }

        Assert.That(handler.Jobs.Single().Delivery, Is.EqualTo("valid-after"));
        Assert.That(await PendingAsync(Redis, stream), Is.Zero);
    }

    [Test]
    public async Task Unknown_event_is_acknowledged_and_not_dead_lettered()
    {
        var stream = NewStream();
        var handler = new RecordingHandler("issues");
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "d-unknown", eventName: "watch");
        await EnqueueAsync(Redis, stream, "d-known");

        await EventuallyAsync(() => handler.Count == 1, "known job ran");
        await EventuallyAsync(async () => await PendingAsync(Redis, stream) == 0, "unknown event acked");
        await worker.StopAsync(CancellationToken.None);
        Assert.That(await Db.StreamLengthAsync($"{stream}:dead"), Is.Zero);
        Assert.That(handler.Jobs.Single().Delivery, Is.EqualTo("d-known"));
    }

    [Test]
    public async Task Completed_delivery_is_skipped_when_it_comes_again()
    {
        var stream = NewStream();
        var handler = new RecordingHandler();
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "d-twice");
        await EventuallyAsync(async () => handler.Count == 1 && await PendingAsync(Redis, stream) == 0, "first run done");

        var again = await EnqueueAsync(Redis, stream, "d-twice");
        await EventuallyAsync(async () =>
            (await Db.StreamGroupInfoAsync(stream)).Single().LastDeliveredId == again && await PendingAsync(Redis, stream) == 0,
            "redelivery read and acked");
        await worker.StopAsync(CancellationToken.None);

        Assert.That(handler.Count, Is.EqualTo(1), "the handler must not run a completed delivery twice");
        var ttl = await Db.KeyTimeToLiveAsync($"{stream}:done:d-twice");
        Assert.That(ttl, Is.GreaterThan(TimeSpan.FromHours(23)).And.LessThanOrEqualTo(TimeSpan.FromHours(24)));
    }

    [Test]
    public async Task Same_delivery_on_two_consumers_at_once_runs_once()
    {
        var stream = NewStream();
        var release = new TaskCompletionSource();
        var handler = new RecordingHandler { Behaviour = (_, _) => release.Task };
        using var first = Worker(Redis, Options(stream, "c1", o => o.Concurrency = 1), handlers: handler);
        using var second = Worker(Redis, Options(stream, "c2", o => o.Concurrency = 1), handlers: handler);
        await first.StartAsync(CancellationToken.None);
        await second.StartAsync(CancellationToken.None);

        await EnqueueAsync(Redis, stream, "d-dup");
        await EnqueueAsync(Redis, stream, "d-dup");
        await EventuallyAsync(async () => handler.Count == 1 && await Db.SortedSetLengthAsync($"{stream}:retry") == 1,
            "one runs, the duplicate is deferred");
        release.SetResult();

        await EventuallyAsync(async () => await PendingAsync(Redis, stream) == 0
                                          && await Db.SortedSetLengthAsync($"{stream}:retry") == 0
                                          && (await Db.StreamGroupInfoAsync(stream)).Single().Lag == 0,
            "duplicate came back and was skipped");
        await Task.WhenAll(first.StopAsync(CancellationToken.None), second.StopAsync(CancellationToken.None));
        Assert.That(handler.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task A_slow_job_does_not_hold_up_the_other_slots()
    {
        var stream = NewStream();
        var slow = new TaskCompletionSource();
        var handler = new RecordingHandler { Behaviour = (job, _) => job.Delivery == "slow" ? slow.Task : Task.CompletedTask };
        using var worker = Worker(Redis, Options(stream, configure: o => o.Concurrency = 2), handlers: handler);
        await worker.StartAsync(CancellationToken.None);

        await EnqueueAsync(Redis, stream, "slow");
        await EventuallyAsync(() => handler.Count == 1, "slow job started");
        for (var i = 0; i < 5; i++)
        {
            await EnqueueAsync(Redis, stream, $"fast-{i}");
        }

        await EventuallyAsync(() => handler.Count == 6, "fast jobs ran while the slow one was running");
        Assert.That(await PendingAsync(Redis, stream), Is.EqualTo(1));
        slow.SetResult();
        await worker.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task Jobs_in_flight_never_exceed_the_concurrency()
    {
        var stream = NewStream();
        var running = 0;
        var peak = 0;
        var handler = new RecordingHandler
        {
            Behaviour = async (_, _) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref peak, now);
                await Task.Delay(20, CancellationToken.None);
                Interlocked.Decrement(ref running);
            },
        };
        using var worker = Worker(Redis, Options(stream, configure: o => o.Concurrency = 3), handlers: handler);
        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => EnqueueAsync(Redis, stream, $"bounded-{i}")));
        await worker.StartAsync(CancellationToken.None);

        await EventuallyAsync(() => handler.Count == 30, "all jobs ran");
        await worker.StopAsync(CancellationToken.None);
        Assert.That(peak, Is.EqualTo(3));
    }

    [Test]
    public async Task Three_consumers_run_each_of_1000_deliveries_exactly_once()
    {
        var stream = NewStream();
        var handler = new RecordingHandler { Behaviour = (_, _) => Task.Delay(Random.Shared.Next(0, 3), CancellationToken.None) };
        var connections = new List<ConnectionMultiplexer>();
        var workers = new List<QueueWorker>();
        for (var i = 0; i < 3; i++)
        {
            var connection = await ConnectAsync();
            connections.Add(connection);
            workers.Add(Worker(connection, Options(stream, $"c{i}", o => o.Concurrency = 8), handlers: handler));
        }

        foreach (var worker in workers)
        {
            await worker.StartAsync(CancellationToken.None);
        }

        await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => EnqueueAsync(Redis, stream, $"many-{i}")));
        await EventuallyAsync(async () => handler.Count >= 1000 && await PendingAsync(Redis, stream) == 0, "1000 jobs done",
            TimeSpan.FromSeconds(30));
        await Task.WhenAll(workers.Select(w => w.StopAsync(CancellationToken.None)));

        Assert.That(handler.RunsPerDelivery, Has.Count.EqualTo(1000));
        Assert.That(handler.RunsPerDelivery.Values.Distinct(), Is.EqualTo(new[] { 1 }), "every delivery ran exactly once");
        Assert.That(handler.Jobs.Select(j => j.StreamId).Distinct().Count(), Is.EqualTo(1000));
        var consumers = await Db.StreamConsumerInfoAsync(stream, QueueOptions.DefaultGroup);
        Assert.That(consumers.Select(c => c.Name), Is.EquivalentTo(new[] { "c0", "c1", "c2" }));
        foreach (var worker in workers)
        {
            worker.Dispose();
        }

        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }

    [Test]
    public async Task Pending_entry_of_a_dead_consumer_is_reclaimed_after_claim_idle()
    {
        var stream = NewStream();
        await Db.StreamCreateConsumerGroupAsync(stream, QueueOptions.DefaultGroup, "0", createStream: true);
        await EnqueueAsync(Redis, stream, "orphan");

        // A consumer that read the entry and died: it never acks and never heartbeats.
        var taken = await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, "crashed", ">", 1);
        Assert.That(taken, Has.Length.EqualTo(1));

        // Idle time is Redis's own clock: the entry was read by the dead consumer right after Redis stamped its id.
        var claimIdle = TimeSpan.FromSeconds(1);
        var idleWhenTaken = TimeSpan.Zero;
        var handler = new RecordingHandler();
        handler.Behaviour = async (job, _) =>
        {
            var time = (RedisResult[])(await Db.ExecuteAsync("TIME"))!;
            var now = ((long)time[0] * 1_000_000 + (long)time[1]) / 1000;
            idleWhenTaken = TimeSpan.FromMilliseconds(now - long.Parse(job.StreamId.Split('-')[0], CultureInfo.InvariantCulture));
        };
        using var worker = Worker(Redis, Options(stream, "rescuer", o => o.ClaimIdle = claimIdle), handlers: handler);
        await worker.StartAsync(CancellationToken.None);

        await EventuallyAsync(async () => handler.Count == 1 && await PendingAsync(Redis, stream) == 0, "orphan reclaimed and done");
        await worker.StopAsync(CancellationToken.None);
        Assert.That(idleWhenTaken, Is.GreaterThanOrEqualTo(claimIdle), "not before claim idle");
        Assert.That(handler.Jobs.Single().Delivery, Is.EqualTo("orphan"));
    }

    [Test]
    public async Task A_killed_workers_running_job_is_taken_over_by_another_consumer()
    {
        var stream = NewStream();
        var doomedConnection = await ConnectAsync();
        var started = new TaskCompletionSource();
        var doomed = new RecordingHandler
        {
            Behaviour = async (_, token) =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
            },
        };
        var options = Options(stream, "doomed", o =>
        {
            o.ClaimIdle = TimeSpan.FromSeconds(1);
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(100);
        });
        var victim = Worker(doomedConnection, options, handlers: doomed);
        await victim.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "survives");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The process "dies": its connections drop mid-job, so it neither acks nor heartbeats any more.
        await doomedConnection.DisposeAsync();
        victim.Dispose();

        var rescuer = new RecordingHandler();
        using var worker = Worker(Redis, Options(stream, "rescuer", o => o.ClaimIdle = TimeSpan.FromSeconds(1)), handlers: rescuer);
        await worker.StartAsync(CancellationToken.None);
        await EventuallyAsync(async () => rescuer.Count == 1 && await PendingAsync(Redis, stream) == 0, "job taken over and done");
        await worker.StopAsync(CancellationToken.None);
        await victim.StopAsync(CancellationToken.None);

        Assert.That(rescuer.Jobs.Single().Delivery, Is.EqualTo("survives"));
        Assert.That(await Db.KeyExistsAsync($"{stream}:done:survives"), Is.True);
    }

    [Test]
    public async Task A_job_running_longer_than_claim_idle_is_never_stolen_while_its_worker_lives()
    {
        var stream = NewStream();
        var release = new TaskCompletionSource();
        var longRunning = new RecordingHandler { Behaviour = (_, _) => release.Task };
        var other = new RecordingHandler();
        var claimIdle = TimeSpan.FromSeconds(1);

        // One slot, kept busy by the long job: the owner itself never reclaims, so only the thief's passes are seen.
        using var owner = Worker(Redis, Options(stream, "owner", o =>
        {
            o.ClaimIdle = claimIdle;
            o.Concurrency = 1;
        }), handlers: longRunning);
        using var thief = Worker(Redis, Options(stream, "thief", o => o.ClaimIdle = claimIdle), handlers: other);
        await owner.StartAsync(CancellationToken.None);
        var longId = await EnqueueAsync(Redis, stream, "long");
        await EventuallyAsync(() => longRunning.Count == 1, "owner started the long job");

        // An entry abandoned by a consumer that died, read after the long job started: once the thief has taken it
        // over (it scans the pending entries in id order, the long job's first), the long job had been running for
        // longer than the claim idle time at that pass, and only its heartbeat kept it from being taken too.
        // Added and read in one script, so no live worker can read it first.
        await Db.ScriptEvaluateAsync(
            """
            redis.call('XADD', KEYS[1], '*', 'event', 'issues', 'delivery', 'abandoned', 'payload', ARGV[1])
            return redis.call('XREADGROUP', 'GROUP', ARGV[2], 'dead-consumer', 'COUNT', 1, 'STREAMS', KEYS[1], '>')
            """, [stream], [Payload, QueueOptions.DefaultGroup]);
        await thief.StartAsync(CancellationToken.None);
        await EventuallyAsync(() => other.RunsPerDelivery.ContainsKey("abandoned"), "the thief reclaimed the abandoned entry");

        var pending = (await Db.StreamPendingMessagesAsync(stream, QueueOptions.DefaultGroup, 10, RedisValue.Null)).Single();
        Assert.That(pending.MessageId.ToString(), Is.EqualTo(longId));
        Assert.That(pending.ConsumerName.ToString(), Is.EqualTo("owner"), "the heartbeat keeps the entry with its worker");
        Assert.That(pending.DeliveryCount, Is.EqualTo(1), "never reclaimed");

        release.SetResult();
        await EventuallyAsync(async () => await PendingAsync(Redis, stream) == 0, "long job finished", TimeSpan.FromSeconds(10));
        await Task.WhenAll(owner.StopAsync(CancellationToken.None), thief.StopAsync(CancellationToken.None));
        Assert.That(other.Jobs.Select(j => j.Delivery), Is.EqualTo(new[] { "abandoned" }), "the other consumer must not take a job whose worker is alive");
        Assert.That(longRunning.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task The_heartbeat_extends_the_running_key_it_holds_and_never_creates_one_that_is_gone()
    {
        var stream = NewStream();
        var release = new TaskCompletionSource();
        var handler = new RecordingHandler { Behaviour = (_, _) => release.Task };
        using var worker = Worker(Redis, Options(stream, "holder", o => o.ClaimIdle = TimeSpan.FromMilliseconds(600)), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        var id = await EnqueueAsync(Redis, stream, "held");
        await EventuallyAsync(() => handler.Count == 1, "job running");
        var running = $"{stream}:running:held";

        // A lease far longer than the worker's: only a heartbeat brings it back down to RUNNER_CLAIM_IDLE.
        await Db.KeyExpireAsync(running, TimeSpan.FromMinutes(10));
        await EventuallyAsync(async () => await Db.KeyTimeToLiveAsync(running) <= TimeSpan.FromMilliseconds(600), "running key extended by a heartbeat");
        Assert.That((string?)await Db.StringGetAsync(running), Is.EqualTo($"holder|{id}"));

        // Gone (expired during an outage, or taken and released by another entry): a later heartbeat, seen by the
        // reset idle time of the entry, must not create it again.
        await Db.KeyDeleteAsync(running);
        await Db.ExecuteAsync("XCLAIM", stream, QueueOptions.DefaultGroup, "holder", 0, id, "IDLE", 600_000, "JUSTID");
        await EventuallyAsync(async () => (await Db.StreamPendingMessagesAsync(stream, QueueOptions.DefaultGroup, 1, "holder")).Single().IdleTimeInMilliseconds < 600_000,
            "a heartbeat after the key was gone");
        Assert.That(await Db.KeyExistsAsync(running), Is.False, "the heartbeat does not bring a running key back");

        release.SetResult();
        await EventuallyAsync(async () => await Db.KeyExistsAsync($"{stream}:done:held"), "job done");
        await worker.StopAsync(CancellationToken.None);
        Assert.That(await Db.KeyExistsAsync(running), Is.False);
    }

    [Test]
    public async Task The_heartbeat_only_extends_a_running_key_that_still_holds_its_own_token()
    {
        var stream = NewStream();
        var store = new QueueStore(Redis, new QueueKeys(Options(stream)));
        await store.EnsureGroupAsync("0");
        var id = await EnqueueAsync(Redis, stream, "d");
        await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, "me", ">", 1);
        await Db.StringSetAsync($"{stream}:running:d", "other|1-0", TimeSpan.FromSeconds(30));

        await store.HeartbeatAsync([new HeldEntry(id, "d", $"me|{id}")], "me", TimeSpan.FromMinutes(5));
        await store.HeartbeatAsync([new HeldEntry(id, "gone", $"me|{id}")], "me", TimeSpan.FromMinutes(5));

        Assert.Multiple(async () =>
        {
            Assert.That((string?)await Db.StringGetAsync($"{stream}:running:d"), Is.EqualTo("other|1-0"));
            Assert.That(await Db.KeyTimeToLiveAsync($"{stream}:running:d"), Is.LessThanOrEqualTo(TimeSpan.FromSeconds(30)), "not extended");
            Assert.That(await Db.KeyExistsAsync($"{stream}:running:gone"), Is.False, "not created");
        });
    }

    [Test]
    public void A_released_job_is_heartbeated_without_its_running_key()
    {
        var jobs = new InFlightJobs();
        var job = new InFlightJob("1-0", "me") { Delivery = "d" };
        jobs.TryAdd(job);
        Assert.That(jobs.Snapshot().Single().Delivery, Is.EqualTo("d"));

        job.Release();
        var held = jobs.Snapshot().Single();
        Assert.That((held.StreamId, held.Delivery), Is.EqualTo(("1-0", (string?)null)), "the entry is still re-claimed, its running key left alone");
    }

    [Test]
    public async Task A_restarted_replica_resumes_its_own_pending_entries_at_once()
    {
        var stream = NewStream();
        await Db.StreamCreateConsumerGroupAsync(stream, QueueOptions.DefaultGroup, "0", createStream: true);
        await EnqueueAsync(Redis, stream, "mine");
        await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, "replica-0", ">", 1);

        var handler = new RecordingHandler();
        using var worker = Worker(Redis, Options(stream, "replica-0", o => o.ClaimIdle = TimeSpan.FromMinutes(5)), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EventuallyAsync(async () => handler.Count == 1 && await PendingAsync(Redis, stream) == 0, "own pending entry resumed",
            TimeSpan.FromSeconds(5));
        await worker.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task A_pending_entry_deleted_from_the_stream_is_acknowledged_on_resume()
    {
        var stream = NewStream();
        await Db.StreamCreateConsumerGroupAsync(stream, QueueOptions.DefaultGroup, "0", createStream: true);
        var gone = await EnqueueAsync(Redis, stream, "gone");
        await EnqueueAsync(Redis, stream, "kept");
        await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, "replica-1", ">", 2);
        await Db.StreamDeleteAsync(stream, [gone]);

        var handler = new RecordingHandler();
        using var worker = Worker(Redis, Options(stream, "replica-1", o => o.ClaimIdle = TimeSpan.FromMinutes(5)), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EventuallyAsync(async () => handler.Count == 1 && await PendingAsync(Redis, stream) == 0, "both pending entries settled",
            TimeSpan.FromSeconds(5));
        await worker.StopAsync(CancellationToken.None);
        Assert.That(handler.Jobs.Single().Delivery, Is.EqualTo("kept"));
        Assert.That(await Db.StreamLengthAsync($"{stream}:dead"), Is.Zero);
    }

    [Test]
    public async Task An_entry_abandoned_by_crashing_consumers_too_often_is_dead_lettered()
    {
        var stream = NewStream();
        await Db.StreamCreateConsumerGroupAsync(stream, QueueOptions.DefaultGroup, "0", createStream: true);
        await EnqueueAsync(Redis, stream, "poison");
        await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, "crash-0", ">", 1);
        for (var i = 1; i <= 3; i++)
        {
            // Each crash leaves it pending; the next consumer claims it and crashes too.
            await Db.StreamAutoClaimAsync(stream, QueueOptions.DefaultGroup, $"crash-{i}", 0, "0-0");
        }

        var handler = new RecordingHandler();
        using var worker = Worker(Redis, Options(stream, "survivor", o =>
        {
            o.MaxAttempts = 4;
            o.ClaimIdle = TimeSpan.FromMilliseconds(200);
        }), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EventuallyAsync(async () => await Db.StreamLengthAsync($"{stream}:dead") == 1, "poison entry dead-lettered");
        await worker.StopAsync(CancellationToken.None);

        Assert.That(handler.Count, Is.Zero, "a job that kept killing its workers is not run again");
        Assert.That(Field((await Db.StreamRangeAsync($"{stream}:dead")).Single(), "error"), Does.StartWith("delivered 5 times"));
    }

    [Test]
    public async Task Shutdown_lets_running_jobs_finish_and_reads_nothing_new()
    {
        var stream = NewStream();
        var finished = 0;
        var handler = new RecordingHandler
        {
            Behaviour = async (_, _) =>
            {
                await Task.Delay(400, CancellationToken.None);
                Interlocked.Increment(ref finished);
            },
        };
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        for (var i = 0; i < 3; i++)
        {
            await EnqueueAsync(Redis, stream, $"drain-{i}");
        }

        await EventuallyAsync(() => handler.Count == 3, "three jobs running");
        await worker.StopAsync(CancellationToken.None);
        Assert.That(Volatile.Read(ref finished), Is.EqualTo(3), "stop returns after the running jobs finished");
        Assert.That(await PendingAsync(Redis, stream), Is.Zero, "finished jobs are acked during the drain");

        // Had the stopped worker still been reading, its blocking read (issued first) would have been served the new
        // entry, and a successor that reclaims only after ten minutes would never see it here.
        await EnqueueAsync(Redis, stream, "after-stop");
        var successorHandler = new RecordingHandler();
        using var successor = Worker(Redis, Options(stream, "successor", o => o.ClaimIdle = TimeSpan.FromMinutes(10)), handlers: successorHandler);
        await successor.StartAsync(CancellationToken.None);
        await EventuallyAsync(() => successorHandler.Count == 1, "a new worker took the entry");
        await successor.StopAsync(CancellationToken.None);
        Assert.That(handler.Count, Is.EqualTo(3), "a stopped worker reads nothing new");
    }

    [Test]
    public async Task Shutdown_timeout_leaves_an_unfinished_job_pending_for_another_replica()
    {
        var stream = NewStream();
        var handler = new RecordingHandler { Behaviour = (_, token) => Task.Delay(Timeout.Infinite, token) };
        using var worker = Worker(Redis, Options(stream, configure: o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300)), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "stuck");
        await EventuallyAsync(() => handler.Count == 1, "job running");

        await worker.StopAsync(CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await PendingAsync(Redis, stream), Is.EqualTo(1), "left pending, not acked");
            Assert.That(await Db.StreamLengthAsync($"{stream}:dead"), Is.Zero);
            Assert.That(await Db.SortedSetLengthAsync($"{stream}:retry"), Is.Zero);
            Assert.That(await Db.KeyExistsAsync($"{stream}:running:stuck"), Is.False, "its running key is released");
        });
    }

    [Test]
    public async Task A_job_that_waits_logs_its_start_line_while_it_runs_and_a_finish_line_with_its_details()
    {
        var stream = NewStream();
        var logger = new FakeLogger<QueueWorker>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var worker = Worker(Redis, Options(stream), logger: logger, handlers: new RecordingHandler { Behaviour = (_, _) => release.Task });
        await worker.StartAsync(CancellationToken.None);
        var id = await new JobProducer(Redis, stream, TimeProvider.System).EnqueueAsync("issues", "d-log", Payload);
        List<FakeLogRecord> LinesOfTheJob() => logger.Collector.GetSnapshot().Where(l => l.Message.Contains(id, StringComparison.Ordinal)).ToList();

        await EventuallyAsync(() => LinesOfTheJob().Count == 1, "the start line, while the handler still waits");
        Assert.That(LinesOfTheJob()[0].Message, Is.EqualTo($"Job {id} issues d-log for octo/repo attempt 1 started"));
        release.SetResult();
        await EventuallyAsync(async () => await Db.KeyExistsAsync($"{stream}:done:d-log"), "job done");
        await worker.StopAsync(CancellationToken.None);

        var lines = LinesOfTheJob();
        Assert.That(lines, Has.Count.EqualTo(2));
        Assert.That(lines[1].Message, Does.Match($"^Job {id} issues d-log for octo/repo attempt 1 succeeded in \\d+ ms$"));
        Assert.That(lines.Select(l => l.Level), Is.All.EqualTo(LogLevel.Information));
    }

    [Test]
    public async Task A_job_that_ends_without_waiting_logs_only_its_finish_line_which_carries_every_field_of_the_start_line()
    {
        // An ignored delivery (a comment without a command) ends before its handler awaits anything: one line, not two.
        var stream = NewStream();
        var logger = new FakeLogger<QueueWorker>();
        using var worker = Worker(Redis, Options(stream), logger: logger, handlers: new RecordingHandler());
        await worker.StartAsync(CancellationToken.None);
        var id = await new JobProducer(Redis, stream, TimeProvider.System).EnqueueAsync("issues", "d-quick", Payload);
        await EventuallyAsync(async () => await Db.KeyExistsAsync($"{stream}:done:d-quick"), "job done");
        await worker.StopAsync(CancellationToken.None);

        var lines = logger.Collector.GetSnapshot().Where(l => l.Message.Contains(id, StringComparison.Ordinal)).ToList();
        Assert.That(lines.Select(l => l.Message), Has.Exactly(1).Match($"^Job {id} issues d-quick for octo/repo attempt 1 succeeded in \\d+ ms$"));
        Assert.That(lines, Has.Count.EqualTo(1), "the finish line is logged after everything else of the job, so a start line would be here");
    }

    [Test]
    public async Task Deleting_the_stream_while_running_recreates_the_group_and_goes_on()
    {
        var stream = NewStream();
        var handler = new RecordingHandler();
        using var worker = Worker(Redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(Redis, stream, "before");
        await EventuallyAsync(() => handler.Count == 1, "first job");

        await Db.KeyDeleteAsync(stream);
        await EnqueueAsync(Redis, stream, "after");
        await EventuallyAsync(() => handler.Count == 2, "job after the stream was deleted", TimeSpan.FromSeconds(10));
        await worker.StopAsync(CancellationToken.None);
        Assert.That((await Db.StreamGroupInfoAsync(stream)).Single().Name, Is.EqualTo(QueueOptions.DefaultGroup));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
