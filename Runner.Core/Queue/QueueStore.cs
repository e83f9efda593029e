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

/// <summary>What the combined complete-and-read script needs: this consumer, how long done keys and running keys live.</summary>
/// <param name="Events">The events some handler takes: only those entries are begun in the script.</param>
internal sealed record HotPathSettings(string Consumer, IReadOnlyCollection<string> Events, TimeSpan Lease, TimeSpan DoneFor)
{
    /// <summary>How many script arguments <see cref="WriteArguments"/> writes.</summary>
    public int ArgumentCount => 5 + Events.Count;

    /// <summary>The arguments of the scripts' shared begin part (QueueScripts.BeginReadEntries), from <paramref name="at"/>.</summary>
    public int WriteArguments(RedisValue[] values, int at, QueueKeys keys)
    {
        values[at++] = Math.Max(1, (long)Lease.TotalMilliseconds);
        values[at++] = keys.DonePrefix;
        values[at++] = keys.RunningPrefix;
        values[at++] = JobParser.MaxDeliveryLength;
        values[at++] = Events.Count;
        foreach (var name in Events)
        {
            values[at++] = name;
        }

        return at;
    }
}

/// <summary>
/// The reply of <see cref="QueueStore.CompleteAndReadAsync"/>: how many completed entries were acked, the entries read,
/// and per entry the begin verdict (null: not begun by the script; the job asks on its own if it needs to).
/// </summary>
internal sealed record CompleteAndReadResult(long Processed, IReadOnlyList<StreamEntry> Entries, BeginResult?[] Verdicts);

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

    public async Task<BeginResult> TryBeginAsync(string delivery, string token, TimeSpan lease) =>
        Verdict((string?)await Db.ScriptEvaluateAsync(QueueScripts.Begin,
            [keys.Done(delivery), keys.Running(delivery)], [token, Milliseconds(lease)]));

    /// <summary>
    /// <see cref="TryBeginAsync"/> for every entry of a read batch in one script (one round trip instead of one per
    /// job). Entries of the same delivery in one batch: the first takes the running key, the others find it busy.
    /// </summary>
    public async Task<BeginResult[]> TryBeginManyAsync(IReadOnlyList<(string Delivery, string Token)> entries, TimeSpan lease)
    {
        var scriptKeys = new RedisKey[entries.Count * 2];
        var values = new RedisValue[entries.Count + 1];
        values[0] = Milliseconds(lease);
        for (var i = 0; i < entries.Count; i++)
        {
            scriptKeys[2 * i] = keys.Done(entries[i].Delivery);
            scriptKeys[2 * i + 1] = keys.Running(entries[i].Delivery);
            values[i + 1] = entries[i].Token;
        }

        var verdicts = (RedisValue[]?)await Db.ScriptEvaluateAsync(QueueScripts.BeginMany, scriptKeys, values) ?? [];
        return [.. verdicts.Select(verdict => Verdict(verdict))];
    }

    internal static BeginResult Verdict(string? result) => result switch
    {
        "done" => BeginResult.AlreadyDone,
        "busy" => BeginResult.RunningElsewhere,
        _ => BeginResult.Run,
    };

    /// <summary>Marks the delivery done for <paramref name="doneFor"/> and acks the entry, atomically.</summary>
    public async Task CompleteAsync(string streamId, string delivery, string token, TimeSpan doneFor, DateTimeOffset now) =>
        await Db.ScriptEvaluateAsync(QueueScripts.Complete,
            [keys.StreamKey, keys.Done(delivery), keys.Running(delivery), StatsKey(now)],
            [keys.Group, streamId, Milliseconds(doneFor), token]);

    /// <summary>
    /// Writes the complete step of every job in <paramref name="completed"/> (each atomic on its own, as
    /// <see cref="CompleteAsync"/>) and, when <paramref name="readCount"/> &gt; 0, reads up to that many new entries
    /// without blocking and takes the running keys of those <paramref name="settings"/> says will run: one round trip.
    /// </summary>
    public async Task<CompleteAndReadResult> CompleteAndReadAsync(IReadOnlyList<FinishedJob>? completed, int readCount, HotPathSettings settings,
        DateTimeOffset now)
    {
        var jobs = completed?.Count ?? 0;
        var scriptKeys = new RedisKey[2 + 2 * jobs];
        var values = new RedisValue[4 + settings.ArgumentCount + 2 * jobs];
        scriptKeys[0] = keys.StreamKey;
        scriptKeys[1] = StatsKey(now);
        values[0] = keys.Group;
        values[1] = settings.Consumer;
        values[2] = Milliseconds(settings.DoneFor);
        values[3] = readCount;
        var next = settings.WriteArguments(values, 4, keys);
        for (var i = 0; i < jobs; i++)
        {
            var job = completed![i];
            scriptKeys[2 + 2 * i] = keys.Done(job.Delivery);
            scriptKeys[3 + 2 * i] = keys.Running(job.Delivery);
            values[next++] = job.Held.StreamId;
            values[next++] = job.Held.Token;
        }

        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(QueueScripts.CompleteAndRead, scriptKeys, values))!;
        var processed = (long)reply[0];
        if (reply.Length < 3)
        {
            return new CompleteAndReadResult(processed, [], []);
        }

        var verdicts = (RedisValue[])reply[1]!;
        var begun = new BeginResult?[verdicts.Length];
        for (var i = 0; i < verdicts.Length; i++)
        {
            begun[i] = verdicts[i].IsNullOrEmpty ? null : Verdict(verdicts[i]);
        }

        return new CompleteAndReadResult(processed, BlockingReader.Parse(reply[2]), begun);
    }

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
