using Microsoft.Extensions.Logging.Testing;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Tests.Queue;
using StackExchange.Redis;

namespace Runner.Tests.Cluster;

/// <summary>Several <see cref="QueueWorker"/>s, each with its own cluster connection as separate replicas would have.</summary>
internal sealed class ClusterWorkers : IAsyncDisposable
{
    private readonly List<(QueueWorker Worker, ConnectionMultiplexer Connection)> members = [];

    /// <summary>One worker per logger, named worker-0, worker-1, …</summary>
    public static async Task<ClusterWorkers> StartAsync(string redisUrl, string stream, JobLedger ledger,
        IReadOnlyList<FakeLogger<QueueWorker>> loggers, Action<QueueOptions>? configure = null)
    {
        var workers = new ClusterWorkers();
        for (var i = 0; i < loggers.Count; i++)
        {
            var name = $"worker-{i}";
            var connection = await ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(redisUrl));
            var options = Options(stream, name);
            configure?.Invoke(options);
            var worker = QueueTestKit.Worker(connection, options, logger: loggers[i], handlers: ledger.HandlerFor(name));
            workers.members.Add((worker, connection));
            await worker.StartAsync(CancellationToken.None);
        }

        return workers;
    }

    /// <summary>The cluster tests' worker settings: fast reclaim (2 s) and frequent trimming, so both happen within a run.</summary>
    public static QueueOptions Options(string stream, string consumer) => QueueTestKit.Options(stream, consumer, o =>
    {
        o.Concurrency = 8;
        o.ClaimIdle = TimeSpan.FromSeconds(2);
        o.TrimInterval = TimeSpan.FromMilliseconds(500);
        o.StreamRetain = 50;
    });

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(members.Select(m => m.Worker.StopAsync(CancellationToken.None)));
        foreach (var (worker, connection) in members)
        {
            worker.Dispose();
            await connection.DisposeAsync();
        }
    }
}
