using Runner.Core.Configuration;
using Runner.Core.Queue;
using Runner.Core.Redis;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Queue;

public sealed class QueueWorkerTests
{
    private LocalRedisServer server = null!;
    private ConnectionMultiplexer redis = null!;

    [OneTimeSetUp]
    public async Task StartRedis()
    {
        server = await LocalRedisServer.StartAsync();
        redis = await ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(server.Url));
    }

    [OneTimeTearDown]
    public async Task StopRedis()
    {
        await redis.DisposeAsync();
        await server.DisposeAsync();
    }

    [Test]
    public async Task Job_is_acked_only_after_its_handler_finished()
    {
        var stream = NewStream();
        var release = new TaskCompletionSource();
        var handler = new RecordingHandler { Behaviour = (_, _) => release.Task };
        using var worker = Worker(redis, Options(stream), handlers: handler);
        await worker.StartAsync(CancellationToken.None);

        var id = await EnqueueAsync(redis, stream, "d-1");
        await EventuallyAsync(() => handler.Count == 1, "handler started");
        Assert.That(await PendingAsync(redis, stream), Is.EqualTo(1), "entry must stay pending while its handler runs");

        release.SetResult();
        await EventuallyAsync(async () => await PendingAsync(redis, stream) == 0, "entry acked");
        Assert.That(await redis.GetDatabase().KeyExistsAsync($"{stream}:done:d-1"), Is.True, "completed delivery is remembered");
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
}
