using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Runner.Core.Queue;
using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Hosting;

/// <summary>
/// <c>runner health</c> for Docker and Kubernetes probes: one line, exit 0 when Redis answers and the consumer
/// group exists on the job stream, 1 otherwise. Bounded by a short timeout so a probe never hangs.
/// </summary>
internal static class HealthProbe
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    public static async Task<int> CheckQueueAsync(IConfiguration configuration, TextWriter output, TextWriter error,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The worker's own registrations: the probe reads the variables exactly as the worker does, or refuses them as it would.
        await using var services = new ServiceCollection()
            .AddQueueOptions(configuration)
            .AddRunnerRedis(configuration)
            .BuildServiceProvider();
        if (!RunnerHost.TryValidateConfiguration(services, out var problem))
        {
            return await FailAsync(error, problem);
        }

        var queue = services.GetRequiredService<IOptions<QueueOptions>>().Value;
        var options = RedisServiceCollectionExtensions.CreateConnectionOptions(services.GetRequiredService<IOptions<RedisOptions>>().Value.Url);
        var milliseconds = (int)timeout.TotalMilliseconds;
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 1;
        options.ConnectTimeout = milliseconds;
        options.AsyncTimeout = milliseconds;
        options.SyncTimeout = milliseconds;
        options.ClientName = "runner-health";
        var endpoint = options.EndPoints.Count > 0 ? EndpointText(options.EndPoints[0]) : "redis";

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        if (await RefusedAsync(options, deadline.Token) is { } refusal)
        {
            return await FailAsync(error, $"redis {endpoint} unavailable: {refusal} (is Redis running, and is REDIS_URL right?)");
        }

        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(deadline.Token);
            var database = connection.GetDatabase();
            var latency = await database.PingAsync().WaitAsync(deadline.Token);
            if (!await database.KeyExistsAsync(queue.Stream).WaitAsync(deadline.Token))
            {
                return await FailAsync(error, $"stream {queue.Stream} does not exist on {endpoint} yet: the worker creates it and group {queue.Group} at start");
            }

            var group = (await database.StreamGroupInfoAsync(queue.Stream).WaitAsync(deadline.Token))
                .FirstOrDefault(g => g.Name == queue.Group);
            if (group.Name is null)
            {
                return await FailAsync(error, $"consumer group {queue.Group} does not exist on stream {queue.Stream} at {endpoint}: start a worker, or check RUNNER_GROUP");
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"ok: redis {endpoint} answered PING in {latency.TotalMilliseconds:F1} ms; group {group.Name} on {queue.Stream}: {group.ConsumerCount} consumers, {group.PendingMessageCount} pending, lag {group.Lag?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}"));
            return 0;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or OperationCanceledException)
        {
            var reason = exception switch
            {
                OperationCanceledException or TimeoutException => $"no answer within {timeout.TotalSeconds:0.#} s",
                RedisConnectionException connection => $"{connection.FailureType} (is Redis running, and is REDIS_URL right?)",
                _ => FirstLine(exception.Message),
            };
            return await FailAsync(error, $"redis {endpoint} unavailable: {reason}");
        }
    }

    /// <summary>
    /// A refused connection or an unknown host is certain at once, while the Redis client keeps retrying until the
    /// deadline and could then only say "no answer". A plain TCP connect tells them apart; anything else (a slow
    /// network, TLS, auth) is left to the client.
    /// </summary>
    private static async Task<string?> RefusedAsync(ConfigurationOptions options, CancellationToken cancellationToken)
    {
        if (options.EndPoints.Count == 0)
        {
            return null;
        }

        var (host, port) = options.EndPoints[0] switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => (string.Empty, 0),
        };
        if (host.Length == 0)
        {
            return null;
        }

        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, cancellationToken);
            return null;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return "connection refused";
        }
        catch (SocketException exception) when (exception.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
        {
            return $"host {host} not found";
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary><c>runner health --webhook</c>: the receiver's own /healthz, which also pings Redis.</summary>
    public static async Task<int> CheckHttpAsync(Uri url, TextWriter output, TextWriter error, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = timeout };
        try
        {
            using var response = await client.GetAsync(url, cancellationToken);
            var body = FirstLine(await response.Content.ReadAsStringAsync(cancellationToken));
            if (response.IsSuccessStatusCode)
            {
                await output.WriteLineAsync($"{body} ({url})");
                return 0;
            }

            return await FailAsync(error, $"{url} answered {(int)response.StatusCode}: {body}");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return await FailAsync(error, $"{url} unavailable: {FirstLine(exception.Message)}");
        }
    }

    private static async Task<int> FailAsync(TextWriter error, string message)
    {
        await error.WriteLineAsync($"runner health: {message}");
        return 1;
    }

    private static string EndpointText(System.Net.EndPoint endpoint) => endpoint switch
    {
        System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port.ToString(CultureInfo.InvariantCulture)}",
        _ => endpoint.ToString() ?? "redis",
    };

    private static string FirstLine(string text)
    {
        var line = text.Trim();
        var newline = line.IndexOfAny(['\r', '\n']);
        return newline < 0 ? line : line[..newline];
    }
}
