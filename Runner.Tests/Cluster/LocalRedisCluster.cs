using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Runner.Tests.Cluster;

/// <summary>
/// A real Redis Cluster on loopback: <c>redis-server --cluster-enabled yes</c> per node on free ports, joined with
/// <c>redis-cli --cluster create</c>, ready when every node says <c>cluster_state:ok</c> and every replica's link to its
/// master is up. Each node has its own directory under one temporary directory; everything is killed and deleted on
/// dispose. A node whose port was taken between probing and binding is started again on other ports.
/// </summary>
public sealed class LocalRedisCluster : IAsyncDisposable
{
    /// <summary>How long a master may be silent before its replica takes over; short so a failover test stays fast.</summary>
    private const int NodeTimeoutMs = 1_000;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly string directory;
    private readonly List<Node> nodes = [];

    private LocalRedisCluster(string directory) => this.directory = directory;

    public IReadOnlyList<int> Ports => [.. nodes.Select(n => n.Port)];

    /// <summary><c>REDIS_URL</c> listing every node: <c>redis://127.0.0.1:p1,127.0.0.1:p2,…</c>.</summary>
    public string Url => "redis://" + string.Join(',', nodes.Select(n => n.HostPort));

    /// <summary>Starts <paramref name="masters"/> masters with <paramref name="replicasPerMaster"/> replicas each.</summary>
    public static async Task<LocalRedisCluster> StartAsync(int masters, int replicasPerMaster = 0, CancellationToken cancellationToken = default)
    {
        var cluster = new LocalRedisCluster(Directory.CreateTempSubdirectory("runner-cluster-").FullName);
        try
        {
            for (var i = 0; i < masters * (1 + replicasPerMaster); i++)
            {
                cluster.nodes.Add(await Node.StartAsync(cluster.directory, i, cancellationToken));
            }

            await cluster.CreateAsync(replicasPerMaster, cancellationToken);
            await cluster.WaitUntilReadyAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The port of the master serving <paramref name="key"/>'s slot right now (asked of a live node).</summary>
    public async Task<int> MasterPortForAsync(RedisKey key)
    {
        var slot = (int)await AskAnyAsync("CLUSTER", "KEYSLOT", key.ToString());
        var shards = (RedisResult[])(await AskAnyAsync("CLUSTER", "SLOTS"))!;
        foreach (var shard in shards.Select(s => (RedisResult[])s!))
        {
            if ((int)shard[0] <= slot && slot <= (int)shard[1])
            {
                return (int)((RedisResult[])shard[2]!)[1];
            }
        }

        throw new InvalidOperationException($"no master serves slot {slot}");
    }

    /// <summary><c>kill -9</c> of one node: no shutdown, no last write to its replica.</summary>
    public async Task KillAsync(int port)
    {
        var node = nodes.Single(n => n.Port == port);
        await node.KillAsync();
    }

    /// <summary>Waits (bounded) until a live node reports a master other than <paramref name="deadPort"/> for the key's slot and the cluster is ok.</summary>
    public async Task<int> WaitForFailoverAsync(RedisKey key, int deadPort, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ReadyTimeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var port = await MasterPortForAsync(key);
                if (port != deadPort && await AllOkAsync())
                {
                    return port;
                }
            }
            catch (RedisException)
            {
                // A node in the middle of the failover; ask again.
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"no replica took over from port {deadPort} within {ReadyTimeout.TotalSeconds} s");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in nodes)
        {
            await node.KillAsync();
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A node still flushing a file as it died; the temp directory is cleaned by the OS later.
        }
    }

    private async Task CreateAsync(int replicasPerMaster, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--cluster", "create" };
        arguments.AddRange(nodes.Select(n => n.HostPort));
        arguments.AddRange(["--cluster-replicas", replicasPerMaster.ToString(CultureInfo.InvariantCulture), "--cluster-yes"]);
        var (exitCode, output) = await RunAsync("redis-cli", arguments, cancellationToken);
        if (exitCode != 0 || !output.Contains("All 16384 slots covered", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redis-cli --cluster create failed (exit {exitCode}): {output}");
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ReadyTimeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await AllOkAsync() && await ReplicasLinkedAsync())
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"the cluster on ports {string.Join(',', Ports)} was not ok within {ReadyTimeout.TotalSeconds} s");
    }

    private async Task<bool> AllOkAsync()
    {
        foreach (var node in nodes.Where(n => n.IsAlive))
        {
            var info = await node.AskAsync("CLUSTER", "INFO");
            if (info is null || !info.ToString().Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every replica has finished its first sync: only then can it take over with the data.</summary>
    private async Task<bool> ReplicasLinkedAsync()
    {
        foreach (var node in nodes.Where(n => n.IsAlive))
        {
            var info = (await node.AskAsync("INFO", "replication"))?.ToString() ?? string.Empty;
            if (info.Contains("role:slave", StringComparison.Ordinal) && !info.Contains("master_link_status:up", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private async Task<RedisResult> AskAnyAsync(params object[] command)
    {
        foreach (var node in nodes.Where(n => n.IsAlive))
        {
            if (await node.AskAsync(command) is { } result)
            {
                return result;
            }
        }

        throw new InvalidOperationException("no cluster node answers");
    }

    internal static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(ReadyTimeout, cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>One redis-server in cluster mode, with its data port and cluster-bus port both chosen free.</summary>
    private sealed class Node
    {
        private const int StartAttempts = 5;

        private readonly Process process;
        private readonly ConnectionMultiplexer admin;

        private Node(int port, Process process, ConnectionMultiplexer admin)
        {
            Port = port;
            this.process = process;
            this.admin = admin;
        }

        public int Port { get; }

        public string HostPort => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

        public bool IsAlive => !process.HasExited;

        public static async Task<Node> StartAsync(string root, int index, CancellationToken cancellationToken)
        {
            for (var attempt = 1; ; attempt++)
            {
                var port = FreeLoopbackPort();
                var busPort = FreeLoopbackPort();
                var directory = Path.Combine(root, $"node{index}-{port}");
                Directory.CreateDirectory(directory);
                var process = Launch(port, busPort, directory);
                if (await ListensAsync(process, port, cancellationToken))
                {
                    var options = new ConfigurationOptions { EndPoints = { { IPAddress.Loopback, port } }, AbortOnConnectFail = false };
                    options.ConnectTimeout = 2_000;
                    options.AsyncTimeout = 2_000;
                    var node = new Node(port, process, await ConnectionMultiplexer.ConnectAsync(options));

                    // Whoever listens must be our process, not another program that had the port first.
                    var info = (await node.AskAsync("INFO", "server"))?.ToString() ?? string.Empty;
                    if (info.Contains($"process_id:{process.Id.ToString(CultureInfo.InvariantCulture)}\r", StringComparison.Ordinal))
                    {
                        return node;
                    }

                    await node.KillAsync();
                }
                else
                {
                    // Most likely one of the ports was taken between probing and binding: try other ports.
                    KillProcess(process);
                }

                if (attempt == StartAttempts)
                {
                    throw new InvalidOperationException($"redis-server (cluster node {index}) did not start after {StartAttempts} attempts");
                }
            }
        }

        /// <summary>A command to this node only; null when it does not answer.</summary>
        public async Task<RedisResult?> AskAsync(params object[] command)
        {
            if (!IsAlive)
            {
                return null;
            }

            try
            {
                return await admin.GetServer(IPAddress.Loopback, Port).ExecuteAsync((string)command[0], command.Skip(1).ToArray());
            }
            catch (RedisException)
            {
                return null;
            }
        }

        public async Task KillAsync()
        {
            KillProcess(process);
            await process.WaitForExitAsync();
            await admin.DisposeAsync();
        }

        private static void KillProcess(Process process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        private static Process Launch(int port, int busPort, string directory)
        {
            var startInfo = new ProcessStartInfo("redis-server")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = directory,
            };
            foreach (var argument in new[]
                     {
                         "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                         "--cluster-enabled", "yes", "--cluster-port", busPort.ToString(CultureInfo.InvariantCulture),
                         "--cluster-config-file", Path.Combine(directory, "nodes.conf"), "--dir", directory,
                         "--cluster-node-timeout", NodeTimeoutMs.ToString(CultureInfo.InvariantCulture),
                         // A replica may always take over (on one machine "too stale" only means the test was slow), and
                         // replicas sync at once instead of after the default 5 s diskless delay.
                         "--cluster-replica-validity-factor", "0", "--repl-diskless-sync-delay", "0",
                         "--save", string.Empty, "--appendonly", "no", "--protected-mode", "yes",
                     })
            {
                startInfo.ArgumentList.Add(argument);
            }

            Process process;
            try
            {
                process = Process.Start(startInfo) ?? throw new InvalidOperationException("redis-server did not start");
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new InvalidOperationException("redis-server is not installed: apt-get install -y redis-server");
            }

            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        private static async Task<bool> ListensAsync(Process process, int port, CancellationToken cancellationToken)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    return false;
                }

                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                    return true;
                }
                catch (SocketException)
                {
                    await Task.Delay(20, cancellationToken);
                }
            }

            return false;
        }

        private static int FreeLoopbackPort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
