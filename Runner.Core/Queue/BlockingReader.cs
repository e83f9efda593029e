using System.Globalization;
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
        options.ClientName = (options.ClientName ?? "runner") + "-reader";
        options.Protocol = RedisProtocol.Resp2;
        options.ReconnectRetryPolicy = new ExponentialRetry(200, 5_000);
        options.BacklogPolicy = BacklogPolicy.FailFast;

        // No pub/sub on this connection: it only ever runs the blocking read.
        options.CommandMap = CommandMap.Create(new HashSet<string> { "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE" }, available: false);
        return options;
    }

    /// <summary>
    /// Up to <paramref name="count"/> new entries, or none after the block time. A blocking call cannot be cancelled on
    /// the server: <see cref="DisposeAsync"/> (the worker registers it once on its stop token, instead of a cancellable
    /// wrapper and a thread hop per read) closes the connection, which fails the waiting read at once.
    /// </summary>
    public async Task<IReadOnlyList<StreamEntry>> ReadAsync(int count)
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

        var blockMs = Math.Max(1, (long)block.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var read = connection!.GetDatabase().ExecuteAsync("XREADGROUP",
        [
            "GROUP", keys.Group, consumer, "COUNT", count.ToString(CultureInfo.InvariantCulture), "BLOCK", blockMs,
            // The stream as a RedisKey, so a cluster connection sends the read straight to the node owning its slot.
            "STREAMS", keys.StreamKey, ">",
        ], CommandFlags.None);
        return Parse(await read);
    }

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
