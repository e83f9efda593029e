using Runner.Core.Queue;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Queue;

public sealed class StreamTrimTests : RedisTestBase
{


    [Test]
    public async Task Trimming_never_removes_pending_or_undelivered_entries()
    {
        var stream = NewStream();
        var ids = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            ids.Add(await EnqueueAsync(Redis, stream, $"t-{i}"));
        }

        await Db.StreamCreateConsumerGroupAsync(stream, QueueOptions.DefaultGroup, "0");
        var delivered = await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, "c", ">", 80);
        var pending = new[] { delivered[20].Id.ToString(), delivered[55].Id.ToString() };
        await Db.StreamAcknowledgeAsync(stream, QueueOptions.DefaultGroup,
            [.. delivered.Select(e => e.Id).Where(id => !pending.Contains(id.ToString()))]);

        // A second group that has read less holds back trimming too.
        await Db.StreamCreateConsumerGroupAsync(stream, "audit", ids[10]);

        var store = new QueueStore(Redis, new QueueKeys(stream, QueueOptions.DefaultGroup));
        var removed = await store.TrimAsync(retain: 0);

        var left = (await Db.StreamRangeAsync(stream)).Select(e => e.Id.ToString()).ToList();
        Assert.That(removed, Is.EqualTo(10), "entries below the audit group's last-delivered id (ids[0..9]) are removed");
        Assert.That(left, Is.EqualTo(ids.Skip(10)), "the rest, including every pending and undelivered entry, stays");

        await Db.StreamDeleteConsumerGroupAsync(stream, "audit");
        removed = await store.TrimAsync(retain: 0);
        left = [.. (await Db.StreamRangeAsync(stream)).Select(e => e.Id.ToString())];
        Assert.That(removed, Is.EqualTo(10), "acknowledged entries below the oldest pending one go");
        Assert.That(left[0], Is.EqualTo(pending[0]));
        Assert.That(left, Does.Contain(pending[1]));
        Assert.That(left, Is.EqualTo(ids.Skip(20)), "nothing at or after the oldest pending entry is trimmed");
    }

    [Test]
    public async Task Trimming_keeps_the_newest_retained_entries_and_trims_all_acknowledged_history_beyond_them()
    {
        var stream = NewStream();
        for (var i = 0; i < 50; i++)
        {
            await EnqueueAsync(Redis, stream, $"r-{i}");
        }

        await Db.StreamCreateConsumerGroupAsync(stream, QueueOptions.DefaultGroup, "0");
        var delivered = await Db.StreamReadGroupAsync(stream, QueueOptions.DefaultGroup, "c", ">", 50);
        await Db.StreamAcknowledgeAsync(stream, QueueOptions.DefaultGroup, [.. delivered.Select(e => e.Id)]);

        var store = new QueueStore(Redis, new QueueKeys(stream, QueueOptions.DefaultGroup));
        Assert.That(await store.TrimAsync(retain: 20), Is.EqualTo(30));
        Assert.That(await Db.StreamLengthAsync(stream), Is.EqualTo(20));
        Assert.That(await store.TrimAsync(retain: 20), Is.Zero);
    }

    [Test]
    public async Task Trimming_a_stream_without_a_group_removes_nothing()
    {
        var stream = NewStream();
        await EnqueueAsync(Redis, stream, "lonely");
        var store = new QueueStore(Redis, new QueueKeys(stream, QueueOptions.DefaultGroup));
        Assert.That(await store.TrimAsync(retain: 0), Is.Zero);
        Assert.That(await Db.StreamLengthAsync(stream), Is.EqualTo(1));
    }

    [Test]
    public async Task The_worker_trims_acknowledged_history_on_its_own()
    {
        var stream = NewStream();
        var handler = new RecordingHandler();
        using var worker = Worker(Redis, Options(stream, configure: o =>
        {
            o.StreamRetain = 5;
            o.TrimInterval = TimeSpan.FromMilliseconds(200);
        }), handlers: handler);
        await worker.StartAsync(CancellationToken.None);
        for (var i = 0; i < 30; i++)
        {
            await EnqueueAsync(Redis, stream, $"w-{i}");
        }

        await EventuallyAsync(async () => handler.Count == 30 && await Db.StreamLengthAsync(stream) == 5, "history trimmed to 5");
        await worker.StopAsync(CancellationToken.None);
    }
}
