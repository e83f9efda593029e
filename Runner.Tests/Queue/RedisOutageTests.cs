using Microsoft.Extensions.Logging.Testing;
using Runner.Core.Queue;
using Runner.Core.Redis;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Queue;

/// <summary>Redis killed and started again on the same port, with AOF (fsync always) as a production Redis would keep.</summary>
public sealed class RedisOutageTests
{
    [Test]
    public async Task Redis_restarted_mid_run_still_gets_every_job_done_exactly_once()
    {
        await using var server = await LocalRedisServer.StartPersistentAsync();
        await using var producer = await Connect(server);
        var stream = NewStream();
        // The first 60 jobs finish at once; the rest wait for the gate, so the outage surely hits jobs in flight.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler();
        handler.Behaviour = (_, _) => handler.Count > 60 ? gate.Task : Task.CompletedTask;
        var connections = new[] { await Connect(server), await Connect(server) };
        var logger = new FakeLogger<QueueWorker>();
        var workers = connections
            .Select((c, i) => Worker(c, Options(stream, $"c{i}", o => o.ClaimIdle = TimeSpan.FromSeconds(10)), logger: logger, handlers: handler))
            .ToArray();
        foreach (var worker in workers)
        {
            await worker.StartAsync(CancellationToken.None);
        }

        const int jobs = 300;
        await Task.WhenAll(Enumerable.Range(0, jobs).Select(i => EnqueueAsync(producer, stream, $"outage-{i}")));
        await EventuallyAsync(() => handler.Count > 60, "some jobs done and some running before the outage");

        await server.KillAsync();
        await EventuallyAsync(() => OutageWarnings(logger) > 0, "the workers saw the outage");
        gate.SetResult();
        await server.RestartAsync();

        await EventuallyAsync(async () =>
        {
            try
            {
                return handler.RunsPerDelivery.Count == jobs && await PendingAsync(producer, stream) == 0;
            }
            catch (RedisException)
            {
                return false;
            }
        }, "all jobs done after the restart", TimeSpan.FromSeconds(40));
        await Task.WhenAll(workers.Select(w => w.StopAsync(CancellationToken.None)));

        Assert.That(handler.RunsPerDelivery.Where(p => p.Value != 1).Select(p => p.Key), Is.Empty, "no delivery ran twice");
        Assert.That(handler.Count, Is.EqualTo(jobs));
        Assert.That(OutageWarnings(logger), Is.InRange(1, 2),
            "at most one warning per worker for the whole outage");
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
    public async Task A_job_that_finishes_during_an_outage_is_acked_when_redis_is_back()
    {
        await using var server = await LocalRedisServer.StartPersistentAsync();
        await using var redis = await Connect(server);
        var stream = NewStream();
        var release = new TaskCompletionSource();
        var handler = new RecordingHandler { Behaviour = (_, _) => release.Task };
        var logger = new FakeLogger<QueueWorker>();
        using var worker = Worker(redis, Options(stream, configure: o => o.ClaimIdle = TimeSpan.FromSeconds(10)), logger: logger, handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        await EnqueueAsync(redis, stream, "during-outage");
        await EventuallyAsync(() => handler.Count == 1, "job running");

        await server.KillAsync();
        release.SetResult();
        await EventuallyAsync(() => OutageWarnings(logger) > 0, "the worker saw the outage");
        Assert.That(worker.InFlightCount, Is.EqualTo(1), "the finished job waits for Redis to take its ack");
        await server.RestartAsync();

        await EventuallyAsync(async () =>
        {
            try
            {
                return await PendingAsync(redis, stream) == 0 && await redis.GetDatabase().KeyExistsAsync($"{stream}:done:during-outage");
            }
            catch (RedisException)
            {
                return false;
            }
        }, "ack delivered after the restart", TimeSpan.FromSeconds(30));
        await worker.StopAsync(CancellationToken.None);
        Assert.That(handler.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task Stopping_while_redis_has_never_been_reachable_ends_cleanly()
    {
        // A free port with nothing listening: the worker's first command (creating the group) fails, and the stop
        // arrives while the worker backs off to try again. Ending there is part of stopping, not a crash.
        var options = RedisServiceCollectionExtensions.CreateConnectionOptions($"127.0.0.1:{FreePort()}");
        options.AsyncTimeout = 1_000;
        options.ConnectTimeout = 500;
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(options);
        var logger = new FakeLogger<QueueWorker>();
        using var worker = Worker(unreachable, Options(NewStream()), logger: logger, handlers: new RecordingHandler());

        await worker.StartAsync(CancellationToken.None);
        await EventuallyAsync(() => OutageWarnings(logger) > 0, "the first command failed");
        await worker.StopAsync(CancellationToken.None);

        Assert.That(worker.ExecuteTask, Is.Not.Null);
        await EventuallyAsync(() => worker.ExecuteTask!.IsCompleted, "the worker's loop ended");
        Assert.That(worker.ExecuteTask!.IsFaulted, Is.False, worker.ExecuteTask.Exception?.ToString());
    }

    private static int OutageWarnings(FakeLogger<QueueWorker> logger) =>
        logger.Collector.GetSnapshot().Count(l => l.Message.StartsWith("Redis is unavailable", StringComparison.Ordinal));

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<ConnectionMultiplexer> Connect(LocalRedisServer server) =>
        await ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(server.Url));
}
