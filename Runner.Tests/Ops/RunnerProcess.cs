using System.Collections.Concurrent;
using System.Diagnostics;
using Runner.Hosting;

namespace Runner.Tests.Ops;

/// <summary>The real <c>Runner.dll</c> as a child process, as Docker runs it: environment in, lines out, SIGTERM to stop.</summary>
internal sealed class RunnerProcess : IDisposable
{
    private readonly Process process;

    private RunnerProcess(Process process) => this.process = process;

    // Released for every output line and once at exit, so waiters wake on what happened instead of polling.
    private readonly SemaphoreSlim outputChanged = new(0);
    private volatile bool outputEnded;

    public ConcurrentQueue<string> Output { get; } = new();

    public ConcurrentQueue<string> Error { get; } = new();

    public string AllText => string.Join('\n', Output.Concat(Error));

    public static RunnerProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Runner.dll"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Hermetic: none of Runner's variables leak in from the machine running the tests.
        foreach (var setting in SettingCatalog.All)
        {
            startInfo.Environment.Remove(setting.Variable);
        }

        foreach (var key in startInfo.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("dotnet did not start");
        var runner = new RunnerProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                runner.Output.Enqueue(e.Data);
            }

            else
            {
                // The end of the stream: every line the process wrote is in Output now.
                runner.outputEnded = true;
            }

            runner.outputChanged.Release();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                runner.Error.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return runner;
    }

    public async Task<string> WaitForOutputAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var expiry = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = Output.FirstOrDefault(match);
                if (line is not null)
                {
                    return line;
                }

                if (outputEnded)
                {
                    break;
                }

                await outputChanged.WaitAsync(expiry.Token);
            }
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"no matching line within {timeout}; output so far:\n{AllText}");
    }

    /// <summary>What <c>docker stop</c> does first.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancellation.Token);
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }
}
