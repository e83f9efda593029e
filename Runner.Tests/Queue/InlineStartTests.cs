using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Runner.Core.Queue;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Queue;

/// <summary>Jobs start on the read loop's thread once handlers have shown they do not block, and on the pool after one did.</summary>
public sealed class InlineStartTests : RedisTestBase
{
    [Test]
    public async Task After_a_handler_blocked_its_thread_the_jobs_read_with_a_blocking_one_start_beside_it()
    {
        var stream = NewStream();
        await new QueueStore(Redis, new QueueKeys(Options(stream))).EnsureGroupAsync("0");
        var waitedFor = new ConcurrentDictionary<string, bool>();
        var partnerStarted = new ConcurrentDictionary<string, ManualResetEventSlim>();
        ManualResetEventSlim Started(string delivery) => partnerStarted.GetOrAdd(delivery[(delivery.IndexOf('-', StringComparison.Ordinal) + 1)..], _ => new ManualResetEventSlim());
        var handler = new RecordingHandler
        {
            Behaviour = (job, cancellationToken) =>
            {
                if (job.Delivery.StartsWith("blocker", StringComparison.Ordinal))
                {
                    // Holds its thread (no await) until the job read with it has started, or gives up.
                    waitedFor[job.Delivery] = Started(job.Delivery).Wait(TimeSpan.FromSeconds(2), cancellationToken);
                }
                else if (job.Delivery.StartsWith("partner", StringComparison.Ordinal))
                {
                    Started(job.Delivery).Set();
                }

                return Task.CompletedTask;
            },
        };

        using var worker = Worker(Redis, Options(stream, configure: o => o.Concurrency = 2), handlers: handler);
        await worker.StartAsync(CancellationToken.None);

        // Enough quick jobs for the worker to run jobs on its loop's thread from then on.
        for (var i = 0; i < 40; i++)
        {
            await EnqueueAsync(Redis, stream, $"quick-{i}");
        }

        await EventuallyAsync(() => handler.Count == 40, "the quick jobs ran");

        // The first blocking handler may hold up the loop (it gives up after its own timeout): the event's first slow
        // start counts as warm-up. So may the second, which makes the verdict. The third, read in one batch with its
        // partner, must not: the partner starts while it blocks.
        for (var pair = 1; pair <= 3; pair++)
        {
            await EnqueuePairAsync(stream, $"blocker-{pair}", $"partner-{pair}");
            var ran = 40 + 2 * pair;
            await EventuallyAsync(() => handler.Count == ran, $"pair {pair} ran", TimeSpan.FromSeconds(30));
        }

        await worker.StopAsync(CancellationToken.None);

        Assert.That(waitedFor["blocker-3"], Is.True, "the partner started while the blocking handler held its thread");
    }

    [Test]
    public async Task Each_event_may_start_slowly_once_as_warm_up_and_a_second_slow_start_means_handlers_block()
    {
        // The first job on a handler's real path loads and compiles its code; in the container the agent's first issue
        // and first pull request each took ~100 ms before their first await, and were taken for blocking handlers.
        var stream = NewStream();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logger = new FakeLogger<QueueWorker>();
        var handler = new RecordingHandler("issues", "pull_request")
        {
            Behaviour = (_, _) =>
            {
                // Slow before any await, on the worker's clock.
                time.Advance(TimeSpan.FromMilliseconds(200));
                return Task.CompletedTask;
            },
        };
        List<string> Lines(string text) =>
            [.. logger.Collector.GetSnapshot().Where(l => l.Message.Contains(text, StringComparison.Ordinal)).Select(l => $"{l.Level} {l.Message}")];
        using var worker = Worker(Redis, Options(stream), time, logger, handler);
        await worker.StartAsync(CancellationToken.None);

        await EnqueueAsync(Redis, stream, "first-issue", "issues");
        await EventuallyAsync(() => Lines("taken as warm-up").Count == 1, "the first slow issues job is taken as warm-up");
        await EnqueueAsync(Redis, stream, "first-pull-request", "pull_request");
        await EventuallyAsync(() => Lines("taken as warm-up").Count == 2, "the first slow pull_request job is taken as warm-up");
        Assert.That(Lines("jobs now start on the thread pool"), Is.Empty, "both verdicts are logged where they are made");

        await EnqueueAsync(Redis, stream, "second-issue", "issues");
        await EventuallyAsync(() => Lines("jobs now start on the thread pool").Count == 1, "the second slow issues job counts");
        await worker.StopAsync(CancellationToken.None);

        Assert.That(Lines("taken as warm-up"), Is.EqualTo(new[]
        {
            "Debug A job of issues ran 200 ms on its thread before its handler's first await, the first to be slow; taken as warm-up",
            "Debug A job of pull_request ran 200 ms on its thread before its handler's first await, the first to be slow; taken as warm-up",
        }));
        Assert.That(Lines("jobs now start on the thread pool").Single(), Does.StartWith("Warning A job ran 200 ms on its thread"));
    }

    /// <summary>Both entries in one transaction, so the worker's blocking read returns them in one batch.</summary>
    private async Task EnqueuePairAsync(string stream, string first, string second)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.StreamAddAsync(stream, Fields(first));
        _ = transaction.StreamAddAsync(stream, Fields(second));
        Assert.That(await transaction.ExecuteAsync(), Is.True);
    }

    private static NameValueEntry[] Fields(string delivery) =>
        [new("event", "issues"), new("delivery", delivery), new("payload", """{"repository":{"full_name":"octo/repo"}}""")];
}
