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

    /// <summary>Up to <paramref name="count"/> new entries, or none after the block time.</summary>
    public async Task<IReadOnlyList<StreamEntry>> ReadAsync(int count, CancellationToken cancellationToken)
    {
        connection ??= await ConnectionMultiplexer.ConnectAsync(options);
        var blockMs = Math.Max(1, (long)block.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var read = connection.GetDatabase().ExecuteAsync("XREADGROUP",
        [
            "GROUP", keys.Group, consumer, "COUNT", count.ToString(CultureInfo.InvariantCulture), "BLOCK", blockMs,
            // The stream as a RedisKey, so a cluster connection sends the read straight to the node owning its slot.
            "STREAMS", keys.StreamKey, ">",
        ], CommandFlags.None);

        // A blocking call cannot be cancelled on the server: stop waiting for it, and observe its outcome.
        _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return Parse(await read.WaitAsync(cancellationToken));
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
        if (Interlocked.Exchange(ref connection, null) is { } open)
        {
            await open.CloseAsync(allowCommandsToComplete: false);
            await open.DisposeAsync();
        }
    }

    public void Dispose() => Interlocked.Exchange(ref connection, null)?.Dispose();
}
