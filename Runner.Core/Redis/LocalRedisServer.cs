using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Runner.Core.Redis;

/// <summary>
/// A throw-away <c>redis-server</c> on a free loopback port, for the sandbox, the local run script and the
/// tests. Persistence is off; the process is killed on dispose.
/// </summary>
public sealed class LocalRedisServer : IAsyncDisposable
{
    private readonly IReadOnlyList<string> arguments;
    private readonly Action? onDisposed;
    private Process? process;

    private LocalRedisServer(int port, IReadOnlyList<string> arguments, Action? onDisposed)
    {
        Port = port;
        this.arguments = arguments;
        this.onDisposed = onDisposed;
    }

    public int Port { get; }

    public string Url => $"redis://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public string HostPort => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static Task<LocalRedisServer> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(["--appendonly", "no"], onDisposed: null, cancellationToken);

    /// <param name="arguments"><c>redis-server</c> arguments after the port and bind address (persistence settings).</param>
    /// <param name="onDisposed">Runs once the process is gone, e.g. to delete a data directory.</param>
    internal static async Task<LocalRedisServer> StartAsync(IReadOnlyList<string> arguments, Action? onDisposed, CancellationToken cancellationToken)
    {
        var server = new LocalRedisServer(FreeLoopbackPort(), arguments, onDisposed);
        await server.StartProcessAsync(cancellationToken);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        onDisposed?.Invoke();
    }

    /// <summary>Kills the process at once and waits for it to exit.</summary>
    internal async Task StopProcessAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        process = null;
    }

    /// <summary>Starts <c>redis-server</c> on this server's port (again, after <see cref="StopProcessAsync"/>).</summary>
    internal async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", string.Empty, "--protected-mode", "yes",
                 }.Concat(arguments))
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
