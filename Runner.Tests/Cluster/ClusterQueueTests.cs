using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Tests.Queue;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Cluster;

/// <summary>
/// The queue on a real three-master Redis Cluster on loopback, reached the way the worker reaches it (REDIS_URL listing
/// the nodes, StackExchange.Redis routing by slot), with the stream name carrying a hash tag.
/// </summary>
[Category("Cluster")]
[NonParallelizable]
public sealed class ClusterQueueTests
{
    private const string Stream = "{runner}:jobs";

    private LocalRedisCluster cluster = null!;

    [OneTimeSetUp]
    public async Task StartCluster() => cluster = await LocalRedisCluster.StartAsync(masters: 3);

    [OneTimeTearDown]
    public async Task StopCluster() => await cluster.DisposeAsync();

    [Test]
    public async Task Two_workers_do_every_job_exactly_once_with_retries_dead_letters_and_a_reclaim()
    {
        await using var producer = await ConnectAsync();
        Assert.That(producer.GetServers().Any(s => s.ServerType == ServerType.Cluster), "connected as a cluster client");
        var ledger = new JobLedger();
        var keys = new QueueKeys(Stream, QueueOptions.DefaultGroup);

        // A consumer that read ten jobs and died: they stay pending until a worker reclaims them.
        var db = producer.GetDatabase();
        await db.StreamCreateConsumerGroupAsync(Stream, QueueOptions.DefaultGroup, "0", createStream: true);
        var orphans = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            orphans.Add($"orphan-{i}");
            await EnqueueAsync(producer, Stream, orphans[^1]);
        }

        var taken = await db.StreamReadGroupAsync(Stream, QueueOptions.DefaultGroup, "dead-consumer", ">", 10);
        Assert.That(taken, Has.Length.EqualTo(10));

        const int jobs = 200;
        var deliveries = Enumerable.Range(0, jobs).Select(i => $"job-{i}").ToList();
        ledger.FailOnce.UnionWith(deliveries.Where((_, i) => i % 20 == 1));
        ledger.FailAlways.UnionWith(deliveries.Where((_, i) => i % 50 == 2));

        var logger = new FakeLogger<QueueWorker>();
        await using var workers = await ClusterWorkers.StartAsync(cluster.Url, Stream, ledger, [logger, logger]);
        await Task.WhenAll(deliveries.Select(d => EnqueueAsync(producer, Stream, d)));

        var all = deliveries.Concat(orphans).ToList();
        await EventuallyAsync(async () =>
                all.All(d => ledger.Runs(d) > 0)
                && await PendingAsync(producer, Stream) == 0
                && await db.SortedSetLengthAsync(keys.Retry) == 0
                && all.Where(d => ledger.FailOnce.Contains(d)).All(d => ledger.Runs(d) == 2),
            "every job finished", TimeSpan.FromSeconds(60));

        Assert.Multiple(() =>
        {
            foreach (var delivery in all)
            {
                var expected = ledger.FailOnce.Contains(delivery) ? 2 : 1;
                Assert.That(ledger.Runs(delivery), Is.EqualTo(expected), $"{delivery} ran {expected} time(s)");
            }

            Assert.That(ledger.Deliveries, Has.Count.EqualTo(all.Count), "no job the test did not enqueue");
            Assert.That(all.SelectMany(ledger.WorkersOf).Distinct().Count(), Is.EqualTo(2), "both workers did jobs");
            Assert.That(logger.Collector.GetSnapshot().Count(l => l.Message.StartsWith("Reclaimed entry", StringComparison.Ordinal)), Is.EqualTo(10),
                "the dead consumer's ten entries were reclaimed");
        });

        var dead = await db.StreamRangeAsync(keys.Dead);
        Assert.That(dead.Select(e => Field(e, "delivery")), Is.EquivalentTo(ledger.FailAlways), "the permanent failures are dead letters");
        foreach (var delivery in all.Where(d => !ledger.FailAlways.Contains(d)))
        {
            Assert.That(await db.KeyExistsAsync(keys.Done(delivery)), $"{delivery} is marked done");
        }

        // The operator verbs work against the cluster as well: status, and replaying a dead letter.
        var admin = new QueueAdmin(producer, Microsoft.Extensions.Options.Options.Create(ClusterWorkers.Options(Stream, "admin")), TimeProvider.System);
        var status = await admin.GetStatusAsync();
        Assert.That(status.Dead, Is.EqualTo(ledger.FailAlways.Count));
        Assert.That(status.Throughput[^1].Processed, Is.EqualTo(all.Count - ledger.FailAlways.Count));
        var replayed = ledger.FailAlways.First();
        Assert.That(await admin.ReplayDeadAsync(dead.First(e => Field(e, "delivery") == replayed).Id.ToString()), Is.Not.Null);
        await EventuallyAsync(() => ledger.Runs(replayed) == 2, "the replayed dead letter ran again");
        await EventuallyAsync(async () => await db.StreamLengthAsync(keys.Dead) == ledger.FailAlways.Count, "and went back to the dead letters");
    }

    [Test]
    public async Task A_worker_refuses_a_stream_without_hash_tag_with_one_line_and_stops_the_host()
    {
        await using var redis = await ConnectAsync();
        var stream = "plain:" + Guid.NewGuid().ToString("N")[..8];
        await EnqueueAsync(redis, stream, "never-run");
        var lifetime = new Moq.Mock<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var logger = new FakeLogger<QueueWorker>();
        var handler = new RecordingHandler();
        await using var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection()
            .AddLogging()
            .AddSingleton<IConnectionMultiplexer>(redis)
            .AddSingleton(TimeProvider.System)
            .AddRunnerQueue(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build())
            .AddSingleton(Microsoft.Extensions.Options.Options.Create(ClusterWorkers.Options(stream, "c1")))
            .AddSingleton<Microsoft.Extensions.Logging.ILogger<QueueWorker>>(logger)
            .AddSingleton<IJobHandler>(handler)
            .AddSingleton(lifetime.Object)
            .BuildServiceProvider();
        var worker = services.GetRequiredService<QueueWorker>();

        await worker.StartAsync(CancellationToken.None);
        await worker.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(worker.RefusedConfiguration, Is.True);
            lifetime.Verify(l => l.StopApplication(), Moq.Times.Once());
            Assert.That(logger.Collector.GetSnapshot().Where(l => l.Level == Microsoft.Extensions.Logging.LogLevel.Critical).Select(l => l.Message),
                Has.One.StartsWith($"RUNNER_STREAM {stream} has no hash tag but Redis is a cluster").And.One.Contains("{runner}:jobs"));
            Assert.That(handler.Count, Is.Zero, "nothing was read");
        });
    }

    [Test]
    public async Task The_worker_process_exits_1_with_one_line_on_an_untagged_stream()
    {
        using var runner = Runner.Tests.Ops.RunnerProcess.Start(new Dictionary<string, string>
        {
            ["REDIS_URL"] = cluster.Url,
            ["RUNNER_STREAM"] = "runner:jobs",
            ["OLLAMA_API_KEY"] = "test-key",
            ["GITHUB_APP_ID"] = "1",
            ["GITHUB_APP_PRIVATE_KEY"] = Runner.Tests.GitHub.TestKeys.Pkcs1Pem,
        });

        var exit = await runner.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.That(exit, Is.EqualTo(1), runner.AllText);
        Assert.That(runner.AllText.Split('\n').Where(l => l.Contains("has no hash tag but Redis is a cluster", StringComparison.Ordinal)).ToList(),
            Has.Count.EqualTo(1), runner.AllText);
    }

    [Test]
    public void Every_key_the_queue_derives_from_a_tagged_stream_is_in_the_stream_slot()
    {
        var keys = new QueueKeys(Stream, QueueOptions.DefaultGroup);
        RedisKey[] derived = [keys.Dead, keys.Retry, keys.Done("d-1"), keys.Running("{odd}delivery"), keys.Stats(29_000_000)];
        using var muxer = ConnectionMultiplexer.Connect(RedisServiceCollectionExtensions.CreateConnectionOptions(cluster.Url));
        var slot = muxer.HashSlot(keys.StreamKey);
        Assert.That(derived.Select(k => muxer.HashSlot(k)), Is.All.EqualTo(slot));
    }

    private async Task<ConnectionMultiplexer> ConnectAsync() =>
        await ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(cluster.Url));
}
