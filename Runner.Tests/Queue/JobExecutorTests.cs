using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Runner.Core.Diagnostics;
using Runner.Core.Queue;
using StackExchange.Redis;

namespace Runner.Tests.Queue;

/// <summary>
/// <see cref="JobExecutor"/>'s decisions without Redis: a fake outcome store records what it was told, the clock is a
/// <see cref="FakeTimeProvider"/> and the jitter a fixed sample, so every due time is exact.
/// </summary>
public sealed class JobExecutorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private FakeTimeProvider clock = null!;
    private FakeOutcomeStore store = null!;
    private RecordingHandler handler = null!;
    private RunnerMetrics metrics = null!;

    [SetUp]
    public void SetUp()
    {
        clock = new FakeTimeProvider(Start);
        store = new FakeOutcomeStore();
        handler = new RecordingHandler();
        metrics = new RunnerMetrics();
    }

    [TearDown]
    public void TearDown() => metrics.Dispose();

    [Test]
    public async Task A_job_that_succeeds_is_completed_and_acknowledged()
    {
        await RunAsync(Entry("1-0", "d-ok"));

        Assert.That(store.Calls, Is.EqualTo(new[] { "begin d-ok", "complete 1-0 d-ok for 1.00:00:00" }));
        Assert.That(handler.Jobs.Single().MaxAttempts, Is.EqualTo(3), "the worker stamps the attempt limit on the job");
    }

    [Test]
    public async Task A_transient_failure_is_scheduled_with_the_backoff_of_the_injected_sample()
    {
        handler.Behaviour = (_, _) => throw new TransientJobException("502");

        await RunAsync(Entry("1-0", "d-retry", attempt: 2), sample: 0.5);

        // Attempt 2 failed: ceiling 10 s · 2 = 20 s, equal jitter with sample 0.5 → 15 s.
        Assert.That(store.Calls, Is.EqualTo(new[] { "begin d-retry", $"schedule attempt 3 due {Start.AddSeconds(15):O} retried" }));
    }

    [Test]
    public async Task A_longer_retry_after_wins_over_the_backoff()
    {
        handler.Behaviour = (_, _) => throw new TransientJobException("rate limited", TimeSpan.FromMinutes(7));

        await RunAsync(Entry("1-0", "d-wait"));

        Assert.That(store.Calls.Last(), Is.EqualTo($"schedule attempt 2 due {Start.AddMinutes(7):O} retried"));
    }

    [Test]
    public async Task A_permanent_failure_is_dead_lettered_at_once()
    {
        handler.Behaviour = (_, _) => throw new PermanentJobException("archived");

        await RunAsync(Entry("1-0", "d-dead"));

        Assert.That(store.Calls.Last(), Is.EqualTo("dead 1-0 attempts 1: PermanentJobException: archived"));
    }

    [Test]
    public async Task A_transient_failure_on_the_last_attempt_is_dead_lettered()
    {
        handler.Behaviour = (job, _) =>
        {
            Assert.That(job.IsLastAttempt, Is.True);
            throw new TransientJobException("still 502");
        };

        await RunAsync(Entry("1-0", "d-last", attempt: 3));

        Assert.That(store.Calls.Last(), Is.EqualTo("dead 1-0 attempts 3: TransientJobException: still 502"));
    }

    [Test]
    public async Task A_delivery_running_elsewhere_is_deferred_without_running_it()
    {
        store.Begin = BeginResult.RunningElsewhere;

        await RunAsync(Entry("1-0", "d-busy"), sample: 0);

        // Defer: the retry base delay (10 s) with equal jitter; sample 0 gives the lower half.
        Assert.That(store.Calls, Is.EqualTo(new[] { "begin d-busy", $"schedule attempt 1 due {Start.AddSeconds(5):O} " }));
        Assert.That(handler.Count, Is.Zero);
    }

    [Test]
    public async Task A_completed_delivery_is_skipped_and_acknowledged()
    {
        store.Begin = BeginResult.AlreadyDone;

        await RunAsync(Entry("1-0", "d-done"));

        Assert.That(store.Calls, Is.EqualTo(new[] { "begin d-done", "ack 1-0" }));
        Assert.That(handler.Count, Is.Zero);
    }

    [Test]
    public async Task A_job_cut_short_by_shutdown_is_left_pending()
    {
        using var abort = new CancellationTokenSource();
        handler.Behaviour = async (_, ct) =>
        {
            await abort.CancelAsync();
            ct.ThrowIfCancellationRequested();
        };

        await RunAsync(Entry("1-0", "d-left"), abort: abort.Token);

        Assert.That(store.Calls, Is.EqualTo(new[] { "begin d-left", "release d-left" }), "no ack, no retry: another replica reclaims it");
    }

    [Test]
    public async Task An_entry_delivered_more_often_than_the_attempt_limit_is_dead_lettered_without_running()
    {
        await RunAsync(Entry("1-0", "d-crashy"), deliveries: 4);

        Assert.That(store.Calls.Single(), Does.StartWith("dead 1-0 attempts 1: delivered 4 times"));
        Assert.That(handler.Count, Is.Zero);
    }

    [Test]
    public async Task A_malformed_entry_and_an_unknown_event_never_reach_a_handler()
    {
        await RunAsync(new StreamEntry("1-0", [new NameValueEntry("event", "issues")]));
        await RunAsync(Entry("2-0", "d-other", eventName: "star"));

        Assert.That(store.Calls.First(), Does.StartWith("dead 1-0 attempts 0: malformed entry: field 'delivery'"));
        Assert.That(store.Calls.Last(), Is.EqualTo("ack 2-0"));
        Assert.That(store.Calls, Has.Count.EqualTo(2));
        Assert.That(handler.Count, Is.Zero);
    }

    private async Task RunAsync(StreamEntry entry, double sample = 0.5, long deliveries = 1, CancellationToken abort = default)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new QueueOptions { Consumer = "c1", MaxAttempts = 3 });
        var outage = new RedisOutage(NullLogger<QueueWorker>.Instance, clock, new FixedRandom(sample));
        var executor = new JobExecutor(store, options, [handler], clock, new FixedRandom(sample), NullLogger<QueueWorker>.Instance,
            metrics, outage, new RetryWakeup(clock));
        await executor.RunAsync(new Delivered(entry, deliveries), new InFlightJob(entry.Id.ToString(), "c1"), abort);
    }

    private static StreamEntry Entry(string id, string delivery, int attempt = 1, string eventName = "issues") =>
        new(id,
        [
            new NameValueEntry("event", eventName),
            new NameValueEntry("delivery", delivery),
            new NameValueEntry("payload", """{"repository":{"full_name":"octo/repo"}}"""),
            new NameValueEntry("attempt", attempt),
        ]);

    /// <summary>Randomness with a fixed sample, so a jittered delay is one exact value.</summary>
    private sealed class FixedRandom(double sample) : Random
    {
        public override double NextDouble() => sample;
    }

    private sealed class FakeOutcomeStore : IJobOutcomeStore
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public BeginResult Begin { get; set; } = BeginResult.Run;

        public Task<BeginResult> TryBeginAsync(string delivery, string token, TimeSpan lease)
        {
            Calls.Enqueue($"begin {delivery}");
            return Task.FromResult(Begin);
        }

        public Task CompleteAsync(string streamId, string delivery, string token, TimeSpan doneFor, DateTimeOffset now) =>
            Record($"complete {streamId} {delivery} for {doneFor}");

        public Task AckAsync(string streamId) => Record($"ack {streamId}");

        public Task ScheduleAsync(StreamEntry entry, int attempt, DateTimeOffset due, string? delivery, string token, string statsField, DateTimeOffset now) =>
            Record($"schedule attempt {attempt} due {due:O} {statsField}");

        public Task DeadLetterAsync(StreamEntry entry, string error, int attempts, string consumer, string? delivery, string token, DateTimeOffset now) =>
            Record($"dead {entry.Id} attempts {attempts}: {error}");

        public Task ReleaseAsync(string delivery, string token) => Record($"release {delivery}");

        private Task Record(string call)
        {
            Calls.Enqueue(call);
            return Task.CompletedTask;
        }
    }
}
