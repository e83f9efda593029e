using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>Operator actions behind the CLI verbs: enqueue, status, and the dead-letter stream (list, replay, purge).</summary>
public sealed class QueueAdmin(IConnectionMultiplexer redis, IOptions<QueueOptions> options, TimeProvider timeProvider)
{
    private const string PurgeScript = """
        local count = redis.call('XLEN', KEYS[1])
        redis.call('DEL', KEYS[1])
        return count
        """;

    private static readonly TimeSpan[] Windows = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(60)];

    private readonly QueueKeys keys = new(options.Value);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Adds a job exactly as a producer would; returns its stream id.</summary>
    public Task<string> EnqueueAsync(string eventName, string delivery, string payload) =>
        new JobProducer(redis, keys.Stream, timeProvider).EnqueueAsync(eventName, delivery, payload);

    public async Task<QueueStatus> GetStatusAsync()
    {
        var length = await Db.StreamLengthAsync(keys.StreamKey);
        var scheduled = await Db.SortedSetLengthAsync(keys.Retry);
        var dead = await Db.StreamLengthAsync(keys.Dead);
        var throughput = await ReadThroughputAsync();
        var group = length > 0 || await Db.KeyExistsAsync(keys.StreamKey)
            ? (await Db.StreamGroupInfoAsync(keys.StreamKey)).Where(g => g.Name == keys.Group).Select(g => (StreamGroupInfo?)g).FirstOrDefault()
            : null;
        if (group is not { } info)
        {
            return new QueueStatus(keys.Stream, keys.Group, length, false, null, null, 0, [], scheduled, dead, throughput);
        }

        var consumers = await Db.StreamConsumerInfoAsync(keys.StreamKey, keys.Group);
        return new QueueStatus(keys.Stream, keys.Group, length, true, info.LastDeliveredId, info.Lag, info.PendingMessageCount,
            [.. consumers.Select(c => new ConsumerStatus(c.Name, c.PendingMessageCount, TimeSpan.FromMilliseconds(c.IdleTimeInMilliseconds)))],
            scheduled, dead, throughput);
    }

    /// <summary>The newest <paramref name="count"/> dead entries, oldest first.</summary>
    public async Task<IReadOnlyList<DeadJob>> ListDeadAsync(int count)
    {
        var entries = await Db.StreamRangeAsync(keys.Dead, "-", "+", count, Order.Descending);
        return [.. entries.Reverse().Select(ToDeadJob)];
    }

    /// <summary>Puts a dead entry back on the job stream as a fresh job (attempt 1) and removes it from the dead stream.</summary>
    /// <returns>The new stream id, or <see langword="null"/> when no dead entry has that id.</returns>
    public async Task<string?> ReplayDeadAsync(string deadId)
    {
        var values = new List<RedisValue> { deadId };
        values.AddRange(DeadLetterFields.Metadata.Select(name => (RedisValue)name));
        var result = await Db.ScriptEvaluateAsync(QueueScripts.Replay, [keys.Dead, keys.StreamKey], [.. values]);
        return result.IsNull ? null : result.ToString();
    }

    /// <summary>Replays every dead entry; returns how many went back onto the stream.</summary>
    public async Task<int> ReplayAllDeadAsync()
    {
        var replayed = 0;
        var after = "-";
        while (true)
        {
            var batch = await Db.StreamRangeAsync(keys.Dead, after, "+", 100);
            if (batch.Length == 0)
            {
                return replayed;
            }

            foreach (var entry in batch)
            {
                replayed += await ReplayDeadAsync(entry.Id.ToString()) is null ? 0 : 1;
            }

            after = "(" + batch[^1].Id;
        }
    }

    /// <summary>Deletes the dead-letter stream; returns how many entries it held.</summary>
    public async Task<long> PurgeDeadAsync() => (long)await Db.ScriptEvaluateAsync(PurgeScript, [keys.Dead]);

    private async Task<IReadOnlyList<OutcomeWindow>> ReadThroughputAsync()
    {
        var currentMinute = timeProvider.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;
        var minutes = (int)Windows[^1].TotalMinutes;
        var reads = Enumerable.Range(0, minutes).Select(back => Db.HashGetAllAsync(keys.Stats(currentMinute - back))).ToArray();
        var perMinute = await Task.WhenAll(reads);
        return [.. Windows.Select(window =>
        {
            var slice = perMinute.Take((int)window.TotalMinutes).ToArray();
            return new OutcomeWindow(window, Sum(slice, "processed"), Sum(slice, "retried"), Sum(slice, "dead"));
        })];
    }

    private static long Sum(HashEntry[][] minutes, string field) =>
        minutes.Sum(minute => minute.Where(e => e.Name == field).Sum(e => (long)e.Value));

    private static DeadJob ToDeadJob(StreamEntry entry)
    {
        string? Field(string name) => entry.Values.FirstOrDefault(v => v.Name == name) is { Value.IsNull: false } found
            ? found.Value.ToString()
            : null;
        return new DeadJob(entry.Id.ToString(), Field(JobFields.Event), Field(JobFields.Delivery), Field(DeadLetterFields.Error),
            int.TryParse(Field(DeadLetterFields.Attempts), NumberStyles.None, CultureInfo.InvariantCulture, out var attempts) ? attempts : null,
            Field(DeadLetterFields.FailedAt), Field(DeadLetterFields.StreamId));
    }
}
