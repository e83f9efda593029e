using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Agent;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Queue;
using Runner.Core.Redis;

namespace Runner.Hosting;

/// <summary>Builds and runs Runner's generic host, and turns configuration errors into one clear line.</summary>
internal static class RunnerHost
{
    public static HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddRunnerLogging();
        return builder;
    }

    public static async Task<int> RunWorkerAsync(CancellationToken cancellationToken)
    {
        var builder = CreateBuilder();
        builder.AddRunnerWorker();
        return await RunAsync(builder.Build(), StartupBanner.Worker, cancellationToken);
    }

    /// <summary>Everything the worker runs: queue, GitHub client, LLM client, agent and metrics export.</summary>
    public static HostApplicationBuilder AddRunnerWorker(this HostApplicationBuilder builder)
    {
        builder.Services
            .AddRunnerRedis(builder.Configuration)
            .AddRunnerQueue(builder.Configuration)
            .AddRunnerGitHub(builder.Configuration)
            .AddRunnerLlm(builder.Configuration)
            .AddRunnerAgent(builder.Configuration);
        builder.AddRunnerMetricsExport();
        return builder;
    }

    /// <summary>
    /// Validates every option before anything starts, logs the banner (if any), then runs the host until it
    /// stops. Takes ownership of <paramref name="host"/>.
    /// </summary>
    public static async Task<int> RunAsync(IHost host, StartupBanner? banner, CancellationToken cancellationToken)
    {
        using var owned = host;
        if (!TryValidateConfiguration(host.Services, out var error))
        {
            await Console.Error.WriteLineAsync($"runner: configuration error: {error}");
            return 1;
        }

        banner?.Log(
            host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Runner"),
            host.Services.GetRequiredService<IConfiguration>());
        // Taken before running: RunAsync disposes the host. The same singletons the host starts.
        var workers = host.Services.GetServices<IHostedService>().OfType<QueueWorker>().ToList();
        await host.RunAsync(cancellationToken);
        return workers.Any(w => w.RefusedConfiguration) ? 1 : 0;
    }

    /// <summary>
    /// Runs the <c>ValidateOnStart</c> checks now, so a bad variable is reported as one line instead of the
    /// host's "failed to start" log entry with a stack trace.
    /// </summary>
    public static bool TryValidateConfiguration(IServiceProvider services, out string error)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
            error = string.Empty;
            return true;
        }
        catch (OptionsValidationException exception)
        {
            error = string.Join("; ", exception.Failures.Distinct());
            return false;
        }
        catch (InvalidOperationException exception) when (exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // The binder names the variable (…at 'RUNNER_CONCURRENCY'…); only non-secret, typed settings get here.
            error = exception.Message;
            return false;
        }
        catch (AggregateException exception) when (exception.InnerExceptions.All(e => e is OptionsValidationException))
        {
            error = string.Join("; ", exception.InnerExceptions.Cast<OptionsValidationException>()
                .SelectMany(e => e.Failures).Distinct());
            return false;
        }
    }
}
