using Microsoft.Extensions.Logging.Testing;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Tests.Queue;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Cluster;

/// <summary>
/// Three masters with one replica each; the master holding the stream is killed with SIGKILL while a producer keeps
/// adding jobs and two workers run them. Redis replicates asynchronously, so what the dead master acknowledged in its
/// last moments may never reach the replica: the test does not assume a number, it proves for every delivery whether it
/// ran, ran again, or was lost with the master, and prints the tally (bench/cluster-failover.sh repeats it).
/// </summary>
[Category("ClusterFailover")]
[NonParallelizable]
public sealed class ClusterFailoverTests
{
    private const string Stream = "{runner}:jobs";
    private const int Jobs = 1_500;
    private const int KillAfter = 400;
    private const int ProducerConcurrency = 8;

    /// <summary>Each producer's pause between two jobs, so jobs are still being added and run when the master dies.</summary>
    private static readonly TimeSpan ProducerPace = TimeSpan.FromMilliseconds(10);

    [Test]
    public async Task Workers_carry_on_by_themselves_after_the_stream_master_is_killed()
    {
        // With WAIT the producer needs a replica after the failover too, so each master gets two.
        await using var cluster = await LocalRedisCluster.StartAsync(masters: 3, replicasPerMaster: WaitReplicas > 0 ? 2 : 1);
        await using var producer = await ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(cluster.Url));
        var ledger = new JobLedger();
        var loggers = new[] { new FakeLogger<QueueWorker>(), new FakeLogger<QueueWorker>() };
        await using var workers = await ClusterWorkers.StartAsync(cluster.Url, Stream, ledger, loggers, o => o.StreamRetain = 100_000);

        var acked = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var next = -1;
        var master = await cluster.MasterPortForAsync(Stream);
        var midRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var producers = Enumerable.Range(0, ProducerConcurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < Jobs; i = Interlocked.Increment(ref next))
            {
                // Like GitHub redelivering after a 503: the same delivery again until Redis acknowledges the XADD.
                var delivery = $"job-{i.ToString(CultureInfo.InvariantCulture)}";
                acked[delivery] = await AddUntilAcknowledgedAsync(producer, delivery);
                if (acked.Count >= KillAfter)
                {
                    midRun.TrySetResult();
                }

                await Task.Delay(ProducerPace);
            }
        })).ToArray();

        await midRun.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        await cluster.KillAsync(master);
        var acknowledgedBeforeKill = acked.Count;
        var ranBeforeKill = ledger.TotalRuns;
        var newMaster = await cluster.WaitForFailoverAsync(Stream, master);
        var failoverTime = clock.Elapsed;
        await Task.WhenAll(producers);

        // Quiet: every entry the new master holds was delivered (lag 0) and finished (nothing pending, no retry waiting).
        var db = producer.GetDatabase();
        var keys = new QueueKeys(Stream, QueueOptions.DefaultGroup);
        await EventuallyAsync(async () =>
        {
            try
            {
                var group = (await db.StreamGroupInfoAsync(Stream)).Single();
                return group.Lag == 0 && group.PendingMessageCount == 0 && await db.SortedSetLengthAsync(keys.Retry) == 0;
            }
            catch (RedisException)
            {
                return false;
            }
        }, "the workers finished everything the new master holds", TimeSpan.FromSeconds(60));

        // The recovery line comes once Redis has answered for a second without a failure.
        foreach (var logger in loggers)
        {
            await EventuallyAsync(() => logger.Collector.GetSnapshot().Any(l => l.Message.StartsWith("Redis is reachable again", StringComparison.Ordinal)),
                "each worker logged its recovery");
        }

        var survivors = (await db.StreamRangeAsync(Stream)).Select(e => e.Id.ToString()).ToHashSet(StringComparer.Ordinal);
        var lost = acked.Where(p => ledger.Runs(p.Key) == 0).ToList();
        var rerun = acked.Keys.Where(d => ledger.Runs(d) > 1).ToList();
        var report = $"failover: {Jobs} jobs acknowledged to the producer ({acknowledgedBeforeKill} before the kill, {ranBeforeKill} run by then), " +
                     $"replica took over in {failoverTime.TotalSeconds:0.0} s (port {master} -> {newMaster}), " +
                     $"ran once {acked.Keys.Count(d => ledger.Runs(d) == 1)}, ran twice {rerun.Count}, lost {lost.Count}, producer WAIT {WaitReplicas}";
        await TestContext.Progress.WriteLineAsync(report);

        Assert.Multiple(() =>
        {
            Assert.That(acked, Has.Count.EqualTo(Jobs));
            foreach (var (delivery, id) in lost)
            {
                Assert.That(survivors, Does.Not.Contain(id), $"{delivery} never ran only because the new master never received {id}");
            }

            Assert.That(lost.Count + rerun.Count, Is.LessThan(KillAfter / 4), "only the last moments before the kill are affected");
            Assert.That(acked.Keys.Select(ledger.Runs), Has.All.LessThanOrEqualTo(2), report);
            Assert.That(ledger.TotalRuns, Is.GreaterThan(Jobs - KillAfter), "jobs added after the failover ran");
            for (var i = 0; i < loggers.Length; i++)
            {
                var lines = loggers[i].Collector.GetSnapshot().Select(l => l.Message).ToList();
                Assert.That(lines.Count(l => l.StartsWith("Redis is unavailable", StringComparison.Ordinal)), Is.EqualTo(1),
                    $"worker {i}: one warning for the failover\n" + string.Join('\n', lines.Where(l => l.Contains("Redis", StringComparison.Ordinal))));
                Assert.That(lines.Count(l => l.StartsWith("Redis is reachable again", StringComparison.Ordinal)), Is.EqualTo(1),
                    $"worker {i}: one recovery line");
                Assert.That(loggers[i].Collector.GetSnapshot().Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error).Select(l => l.Message), Is.Empty,
                    $"worker {i}: no errors");
            }
        });
    }

    /// <summary>
    /// RUNNER_FAILOVER_WAIT_REPLICAS=1 (bench/cluster-failover.sh --wait) makes the producer count a job as added only
    /// once a replica has it too (<c>WAIT 1 1000</c> after the XADD), the producer-side setting that narrows the loss.
    /// Each master then has two replicas: with one, the promoted replica has none left and WAIT 1 could never succeed.
    /// </summary>
    private static readonly int WaitReplicas =
        int.TryParse(Environment.GetEnvironmentVariable("RUNNER_FAILOVER_WAIT_REPLICAS"), CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static async Task<string> AddUntilAcknowledgedAsync(ConnectionMultiplexer producer, string delivery)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                var id = await EnqueueAsync(producer, Stream, delivery);
                if (WaitReplicas > 0)
                {
                    // WAIT goes to the stream's master on the connection that sent the XADD; fewer replicas than asked
                    // within the timeout means the write is not yet safe: add it again (idempotency skips the copy).
                    var replicas = (long)await producer.GetServer((RedisKey)Stream).ExecuteAsync("WAIT", WaitReplicas, 1_000);
                    if (replicas < WaitReplicas)
                    {
                        throw new RedisTimeoutException("WAIT timed out", CommandStatus.Sent);
                    }
                }

                return id;
            }
            catch (Exception exception) when (failures < 1_000)
            {
                if (failures == 1)
                {
                    await TestContext.Progress.WriteLineAsync($"producer: {delivery} not acknowledged yet ({exception.GetType().Name}: {exception.Message.Split('\n')[0]})");
                }

                await Task.Delay(50);
            }
        }
    }
}
