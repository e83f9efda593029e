using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Runner.Core.Redis;

/// <summary>
/// A throw-away <c>redis-server</c> on a free loopback port, for the sandbox, the local run script and the
/// tests. Persistence is off unless asked for; the process is killed on dispose.
/// </summary>
public sealed class LocalRedisServer : IAsyncDisposable
{
    private readonly string? dataDirectory;
    private Process? process;

    private LocalRedisServer(int port, string? dataDirectory = null)
    {
        Port = port;
        this.dataDirectory = dataDirectory;
    }

    public int Port { get; }

    public string Url => $"redis://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public string HostPort => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static async Task<LocalRedisServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new LocalRedisServer(FreeLoopbackPort());
        await server.StartProcessAsync(cancellationToken);
        return server;
    }

    /// <summary>
    /// Starts a server that keeps an append-only file (fsync on every write) in a temporary directory, so a
    /// <see cref="KillAsync"/> + <see cref="RestartAsync"/> comes back with the data, as production Redis with AOF does.
    /// </summary>
    public static async Task<LocalRedisServer> StartPersistentAsync(CancellationToken cancellationToken = default)
    {
        var directory = Directory.CreateTempSubdirectory("runner-redis-").FullName;
        var server = new LocalRedisServer(FreeLoopbackPort(), directory);
        await server.StartProcessAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts <c>redis-server</c> again on the same port after <see cref="KillAsync"/>.</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => StartProcessAsync(cancellationToken);

    /// <summary>Kills the server at once, as a crash or an outage would.</summary>
    public async Task KillAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        if (dataDirectory is not null)
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = dataDirectory is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", dataDirectory];
        foreach (var argument in new[]
                 {
                     "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", string.Empty, "--protected-mode", "yes",
                 }.Concat(persistence))
        {
            startInfo.ArgumentList.Add(argument);
        }

        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException(
                "redis-server is not installed: install it (apt-get install -y redis-server) or set REDIS_URL");
        }

        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} at start");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }

        throw new InvalidOperationException($"redis-server did not listen on port {Port} within 10 s");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
