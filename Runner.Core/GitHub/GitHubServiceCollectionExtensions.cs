using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Runner.Core.Configuration;
using Runner.Core.Diagnostics;

namespace Runner.Core.GitHub;

public static class GitHubServiceCollectionExtensions
{
    /// <summary>
    /// Registers the GitHub App identity (<see cref="IGitHubAppClient"/>) and <see cref="IGitHubClientFactory"/>, bound
    /// to the <c>GITHUB_*</c> variables and validated at start. Uses the registered <see cref="TimeProvider"/> (system
    /// clock by default) and <see cref="RunnerMetrics"/>.
    /// </summary>
    public static IServiceCollection AddRunnerGitHub(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GitHubOptions>()
            .Bind(configuration)
            .BindDurations(configuration,
                (GitHubOptions.WriteIntervalVariable, (o, v) => o.WriteInterval = v),
                (GitHubOptions.MaxWaitVariable, (o, v) => o.MaxWait = v))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GitHubOptions>, GitHubOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new RunnerMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));

        // Octokit follows redirects itself (and drops credentials on a host change): the primary handler must not.
        // The factory's per-request logging is off: its trace events redact headers in the message but carry the raw
        // Authorization header (JWT, installation token) as structured values. The pipeline logs what matters itself.
        services.AddHttpClient(GitHubHttp.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .RemoveAllLoggers();

        services.TryAddSingleton<GitHubLimitState>();
        services.TryAddSingleton<AppJwtSigner>();
        services.TryAddSingleton<GitHubHttp>();
        services.TryAddSingleton<GitHubAppClient>();
        services.TryAddSingleton<IGitHubAppClient>(sp => sp.GetRequiredService<GitHubAppClient>());
        services.TryAddSingleton<InstallationTokenProvider>();
        services.TryAddSingleton<IGitHubClientFactory, GitHubClientFactory>();
        return services;
    }
}
