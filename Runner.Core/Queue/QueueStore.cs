using System.Globalization;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>What <see cref="QueueStore.TryBeginAsync"/> found for a delivery.</summary>
internal enum BeginResult
{
    /// <summary>This entry now holds the delivery's running key: run it.</summary>
    Run,

    /// <summary>The delivery completed within the idempotency window: skip it.</summary>
    AlreadyDone,

    /// <summary>Another entry of the same delivery is running right now (e.g. the producer sent it twice).</summary>
    RunningElsewhere,
}

/// <summary>An entry handed to this consumer, with how many times the group has delivered it so far.</summary>
internal sealed record Delivered(StreamEntry Entry, long Deliveries);

/// <summary>One in-flight entry as the heartbeat sees it.</summary>
internal sealed record HeldEntry(string StreamId, string? Delivery, string Token);

/// <summary>
/// The queue's non-blocking Redis operations, on the shared multiplexer. Every state change of an entry is one Lua
/// script, so a crash between two steps cannot lose or duplicate a job.
/// </summary>
internal sealed class QueueStore(IConnectionMultiplexer redis, QueueKeys keys) : IJobOutcomeStore
{
    private const int TrimBatch = 1_000;
    private const int MoveBatch = 100;

    private IDatabase Db => redis.GetDatabase();

    public QueueKeys Keys => keys;

    /// <summary>XGROUP CREATE … MKSTREAM; an existing group (BUSYGROUP) is fine. Returns whether it created one.</summary>
    public async Task<bool> EnsureGroupAsync(string startId)
    {
        try
        {
            return await Db.StreamCreateConsumerGroupAsync(keys.StreamKey, keys.Group, startId, createStream: true);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            return false;
        }
    }

    public async Task<BeginResult> TryBeginAsync(string delivery, string token, TimeSpan lease)
    {
        var result = (string?)await Db.ScriptEvaluateAsync(QueueScripts.Begin,
            [keys.Done(delivery), keys.Running(delivery)], [token, Milliseconds(lease)]);
        return result switch
        {
            "done" => BeginResult.AlreadyDone,
            "busy" => BeginResult.RunningElsewhere,
            _ => BeginResult.Run,
        };
    }

    /// <summary>Marks the delivery done for <paramref name="doneFor"/> and acks the entry, atomically.</summary>
    public async Task CompleteAsync(string streamId, string delivery, string token, TimeSpan doneFor, DateTimeOffset now) =>
        await Db.ScriptEvaluateAsync(QueueScripts.Complete,
            [keys.StreamKey, keys.Done(delivery), keys.Running(delivery), StatsKey(now)],
            [keys.Group, streamId, Milliseconds(doneFor), token]);

    public async Task AckAsync(string streamId) => await Db.StreamAcknowledgeAsync(keys.StreamKey, keys.Group, streamId);

    /// <summary>Acks the entry and schedules a copy with <paramref name="attempt"/> for <paramref name="due"/>, atomically.</summary>
    public async Task ScheduleAsync(StreamEntry entry, int attempt, DateTimeOffset due, string? delivery, string token, string statsField, DateTimeOffset now)
    {
        var member = RetryMember.Encode(RetryMember.WithAttempt(entry.Values, attempt));
        await Db.ScriptEvaluateAsync(QueueScripts.Schedule,
            [keys.StreamKey, keys.Retry, RunningKey(delivery), StatsKey(now)],
            [keys.Group, entry.Id, due.ToUnixTimeMilliseconds(), member, delivery is null ? string.Empty : token, statsField]);
    }

    /// <summary>XADD to the dead-letter stream (reason first, then the original fields) and XACK, atomically.</summary>
    public async Task DeadLetterAsync(StreamEntry entry, string error, int attempts, string consumer, string? delivery, string token, DateTimeOffset now)
    {
        var values = new List<RedisValue>
        {
            keys.Group, entry.Id, delivery is null ? string.Empty : token,
            DeadLetterFields.Error, error,
            DeadLetterFields.Attempts, attempts,
            DeadLetterFields.FailedAt, now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            DeadLetterFields.StreamId, entry.Id,
            DeadLetterFields.Consumer, consumer,
        };
        foreach (var field in entry.Values)
        {
            values.Add(field.Name);
            values.Add(field.Value);
        }

        await Db.ScriptEvaluateAsync(QueueScripts.DeadLetter,
            [keys.StreamKey, keys.Dead, RunningKey(delivery), StatsKey(now)], [.. values]);
    }

    public async Task ReleaseAsync(string delivery, string token) =>
        await Db.ScriptEvaluateAsync(QueueScripts.Release, [keys.Running(delivery)], [token]);

    /// <summary>Keeps this consumer's in-flight entries from looking idle; returns those no longer pending for it.</summary>
    public async Task<IReadOnlyList<string>> HeartbeatAsync(IReadOnlyCollection<HeldEntry> held, string consumer, TimeSpan lease)
    {
        var scriptKeys = new List<RedisKey> { keys.StreamKey };
        var values = new List<RedisValue> { keys.Group, consumer, Milliseconds(lease) };
        foreach (var entry in held)
        {
            scriptKeys.Add(RunningKey(entry.Delivery));
            values.Add(entry.StreamId);
            values.Add(entry.Delivery is null ? string.Empty : entry.Token);
        }

        var lost = (RedisValue[]?)await Db.ScriptEvaluateAsync(QueueScripts.Heartbeat, [.. scriptKeys], [.. values]);
        return lost is null ? [] : [.. lost.Select(id => id.ToString())];
    }

    /// <summary>Moves due retries back onto the stream; returns how many moved and when the next one is due.</summary>
    public async Task<(int Moved, DateTimeOffset? NextDue)> MoveDueRetriesAsync(DateTimeOffset now)
    {
        var result = (RedisResult[]?)await Db.ScriptEvaluateAsync(QueueScripts.MoveDue,
            [keys.Retry, keys.StreamKey, keys.Dead], [now.ToUnixTimeMilliseconds(), MoveBatch]);
        var moved = result is { Length: > 0 } ? (int)result[0] : 0;
        DateTimeOffset? next = null;
        if (result is { Length: > 1 } && double.TryParse((string?)result[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var score))
        {
            next = DateTimeOffset.FromUnixTimeMilliseconds((long)score);
        }

        return (moved, next);
    }

    /// <summary>Trims acknowledged history beyond <paramref name="retain"/> entries; returns how many entries went.</summary>
    public async Task<long> TrimAsync(int retain)
    {
        long total = 0;
        while (true)
        {
            var removed = (long)await Db.ScriptEvaluateAsync(QueueScripts.Trim, [keys.StreamKey], [retain, TrimBatch]);
            total += removed;
            if (removed < TrimBatch)
            {
                return total;
            }
        }
    }

    /// <summary>XAUTOCLAIM: takes entries idle longer than <paramref name="minIdle"/> from any consumer.</summary>
    public async Task<(IReadOnlyList<Delivered> Entries, string NextCursor)> AutoClaimAsync(string consumer, TimeSpan minIdle, string cursor, int count)
    {
        var result = await Db.StreamAutoClaimAsync(keys.StreamKey, keys.Group, consumer, (long)minIdle.TotalMilliseconds, cursor, count);
        var entries = await WithDeliveryCountsAsync(result.ClaimedEntries, consumer);
        return (entries, result.NextStartId.ToString());
    }

    /// <summary>This consumer's own pending entries after <paramref name="afterId"/> (e.g. left by a previous run of the same replica).</summary>
    public async Task<IReadOnlyList<Delivered>> ReadOwnPendingAsync(string consumer, string afterId, int count)
    {
        var entries = await Db.StreamReadGroupAsync(keys.StreamKey, keys.Group, consumer, afterId, count);
        return await WithDeliveryCountsAsync(entries, consumer);
    }

    private async Task<IReadOnlyList<Delivered>> WithDeliveryCountsAsync(StreamEntry[] entries, string consumer)
    {
        if (entries.Length == 0)
        {
            return [];
        }

        var pending = await Db.StreamPendingMessagesAsync(keys.StreamKey, keys.Group, entries.Length * 2 + 10, consumer,
            entries[0].Id, entries[^1].Id);
        var counts = pending.ToDictionary(p => p.MessageId.ToString(), p => (long)p.DeliveryCount, StringComparer.Ordinal);
        return [.. entries.Select(e => new Delivered(e, counts.GetValueOrDefault(e.Id.ToString(), 1)))];
    }

    private RedisKey RunningKey(string? delivery) => delivery is null ? keys.Running(string.Empty) : keys.Running(delivery);

    private RedisKey StatsKey(DateTimeOffset now) => keys.Stats(now.ToUnixTimeMilliseconds() / 60_000);

    private static long Milliseconds(TimeSpan value) => Math.Max(1, (long)value.TotalMilliseconds);
}
