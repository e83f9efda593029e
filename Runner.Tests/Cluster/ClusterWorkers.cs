using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Tests.Queue;
using StackExchange.Redis;

namespace Runner.Tests.Cluster;

/// <summary>Several <see cref="QueueWorker"/>s, each with its own cluster connection as separate replicas would have.</summary>
internal sealed class ClusterWorkers : IAsyncDisposable
{
    private readonly List<(QueueWorker Worker, ConnectionMultiplexer Connection)> members = [];

    public static async Task<ClusterWorkers> StartAsync(string redisUrl, string stream, JobLedger ledger, ListLogger<QueueWorker> logger, int count)
    {
        var workers = new ClusterWorkers();
        for (var i = 0; i < count; i++)
        {
            var name = $"worker-{i}";
            var connection = await ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(redisUrl));
            var worker = QueueTestKit.Worker(connection, ClusterQueueTests.WorkerOptions(stream, name), logger: logger, handlers: ledger.HandlerFor(name));
            workers.members.Add((worker, connection));
            await worker.StartAsync(CancellationToken.None);
        }

        return workers;
    }

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
