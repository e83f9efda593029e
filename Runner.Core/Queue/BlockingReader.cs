using System.Globalization;
using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>
/// Blocking <c>XREADGROUP … BLOCK ms … &gt;</c> on a connection of its own. StackExchange.Redis multiplexes every caller
/// over one socket, so a blocking command there would stall everyone else; on this dedicated multiplexer nothing
/// else waits behind it. Its timeout is set above the block time, so an idle wait is not mistaken for a dead server.
/// </summary>
internal sealed class BlockingReader : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan TimeoutMargin = TimeSpan.FromSeconds(10);

    private readonly ConfigurationOptions options;
    private readonly QueueKeys keys;
    private readonly string consumer;
    private readonly TimeSpan block;
    private ConnectionMultiplexer? connection;
    private volatile bool closed;

    public BlockingReader(string sharedConfiguration, QueueKeys keys, string consumer, TimeSpan block)
    {
        options = CreateOptions(sharedConfiguration, block);
        this.keys = keys;
        this.consumer = consumer;
        this.block = block;
    }

    /// <summary>The shared connection's settings (endpoint, TLS, credentials), with a timeout above the block time.</summary>
    internal static ConfigurationOptions CreateOptions(string sharedConfiguration, TimeSpan block)
    {
        var options = ConfigurationOptions.Parse(sharedConfiguration);
        var timeout = (int)(block + TimeoutMargin).TotalMilliseconds;
        options.AsyncTimeout = timeout;
        options.SyncTimeout = timeout;
        options.AbortOnConnectFail = false;
        options.ClientName = (options.ClientName ?? RedisServiceCollectionExtensions.ClientName) + "-reader";
        options.Protocol = RedisProtocol.Resp2;
        options.ReconnectRetryPolicy = new ExponentialRetry(200, 5_000);
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.SocketManager = SocketManager.ThreadPool;

        // No pub/sub on this connection: it only ever runs the blocking read.
        options.CommandMap = CommandMap.Create(new HashSet<string> { "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE" }, available: false);
        return options;
    }

    /// <summary>
    /// Up to <paramref name="count"/> new entries, or none after the block time. A blocking call cannot be cancelled on
    /// the server: <see cref="DisposeAsync"/> (the worker registers it once on its stop token, instead of a cancellable
    /// wrapper and a thread hop per read) closes the connection, which fails the waiting read at once.
    /// With <paramref name="begin"/>, the begin script for what the read delivers (<see cref="QueueScripts.BeginDelivered"/>)
    /// goes right behind the read on this connection: Redis runs it as soon as the read returns, so a job picked up by
    /// an idle worker starts after one round trip, not two. Its verdicts are keyed by stream id; none when it failed
    /// (each job then asks on its own).
    /// </summary>
    /// <param name="begin">The highest stream id this consumer had been handed before this read, and the settings.</param>
    public async Task<(IReadOnlyList<StreamEntry> Entries, Dictionary<string, BeginResult>? Verdicts)> ReadAsync(int count,
        (string AfterId, HotPathSettings Settings)? begin = null)
    {
        ObjectDisposedException.ThrowIf(closed, this);
        if (connection is null)
        {
            var opened = await ConnectionMultiplexer.ConnectAsync(options);
            if (closed || Interlocked.CompareExchange(ref connection, opened, null) is not null)
            {
                // Closed while connecting: this connection would never be closed.
                await opened.DisposeAsync();
                ObjectDisposedException.ThrowIf(closed, this);
            }
        }

        var db = connection!.GetDatabase();
        var blockMs = Math.Max(1, (long)block.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var read = db.ExecuteAsync("XREADGROUP",
        [
            "GROUP", keys.Group, consumer, "COUNT", count.ToString(CultureInfo.InvariantCulture), "BLOCK", blockMs,
            // The stream as a RedisKey, so a cluster connection sends the read straight to the node owning its slot.
            "STREAMS", keys.StreamKey, ">",
        ], CommandFlags.None);
        Task<RedisResult>? begun = null;
        if (begin is { } wanted)
        {
            var values = new RedisValue[4 + wanted.Settings.ArgumentCount];
            values[0] = keys.Group;
            values[1] = consumer;
            values[2] = wanted.AfterId;
            values[3] = count;
            wanted.Settings.WriteArguments(values, 4, keys);
            begun = db.ScriptEvaluateAsync(QueueScripts.BeginDelivered, [keys.StreamKey], values);
            _ = begun.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        var entries = Parse(await read);
        if (begun is null || entries.Count == 0)
        {
            return (entries, null);
        }

        try
        {
            var reply = (RedisResult[])(await begun)!;
            var ids = (RedisValue[])reply[0]!;
            var verdicts = (RedisValue[])reply[1]!;
            var byId = new Dictionary<string, BeginResult>(ids.Length, StringComparer.Ordinal);
            for (var i = 0; i < ids.Length && i < verdicts.Length; i++)
            {
                if (!verdicts[i].IsNullOrEmpty)
                {
                    byId[ids[i].ToString()] = QueueStore.Verdict(verdicts[i]);
                }
            }

            return (entries, byId);
        }
        catch (Exception exception) when (exception is RedisException or InvalidCastException or IndexOutOfRangeException)
        {
            return (entries, null);
        }
    }

    /// <summary>Lets a worker that was stopped read again (a host may start a hosted service anew).</summary>
    public void Reopen() => closed = false;

    /// <summary>Parses the RESP2 reply: nil, or [[stream, [[id, [field, value, …]], …]]].</summary>
    internal static IReadOnlyList<StreamEntry> Parse(RedisResult result)
    {
        if (result.IsNull)
        {
            return [];
        }

        var entries = new List<StreamEntry>();
        foreach (var stream in (RedisResult[])result!)
        {
            var pair = (RedisResult[])stream!;
            foreach (var item in (RedisResult[])pair[1]!)
            {
                var parts = (RedisResult[])item!;
                var id = (RedisValue)parts[0];
                if (parts[1].IsNull)
                {
                    entries.Add(new StreamEntry(id, []));
                    continue;
                }

                var flat = (RedisValue[])parts[1]!;
                var fields = new NameValueEntry[flat.Length / 2];
                for (var i = 0; i < fields.Length; i++)
                {
                    fields[i] = new NameValueEntry(flat[2 * i], flat[2 * i + 1]);
                }

                entries.Add(new StreamEntry(id, fields));
            }
        }

        return entries;
    }

    public async ValueTask DisposeAsync()
    {
        closed = true;
        if (Interlocked.Exchange(ref connection, null) is { } open)
        {
            await open.CloseAsync(allowCommandsToComplete: false);
            await open.DisposeAsync();
        }
    }

    public void Dispose()
    {
        closed = true;
        Interlocked.Exchange(ref connection, null)?.Dispose();
    }
}
