using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Octokit;
using Runner.Core.Diagnostics;
using Runner.Core.GitHub;

namespace Runner.Tests.GitHub;

/// <summary>
/// Runner's GitHub services exactly as <c>AddRunnerGitHub</c> registers them, pointed at the GitHub stand-in acting as
/// App 31337 and checking credentials (<see cref="ScriptedGitHub.StartAppAsync"/>), on a <see cref="StepClock"/>, with
/// every log line captured.
/// </summary>
internal sealed class GitHubTestContext : IAsyncDisposable
{
    public const string AppId = "31337";
    public const long InstallationId = 4711;

    public static readonly RepositoryRef Repository = new("octo-org", "hello");

    private static readonly GitHubStandInApp App31337 = new(31337, "runner-test", "Runner Test", "octo-org",
        new Dictionary<string, string> { ["metadata"] = "read", ["contents"] = "read", ["issues"] = "write", ["pull_requests"] = "read" },
        ["issues", "issue_comment"]);

    private static readonly GitHubStandInInstallation[] Installations =
    [
        new(InstallationId, "octo-org", "Organization", ["hello", "world"]),
        new(InstallationId + 1, "alice", "User", ["dotfiles"]),
    ];

    private GitHubTestContext(ScriptedGitHub standIn, StepClock clock, FakeLogCollector logs, RunnerMetrics metrics, ServiceProvider services,
        Dictionary<string, string?> settings)
    {
        Settings = settings;
        StandIn = standIn;
        Clock = clock;
        Logs = logs;
        Metrics = metrics;
        Services = services;
    }

    /// <summary>The variables the services were built from.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    public ScriptedGitHub StandIn { get; }

    public StepClock Clock { get; }

    public FakeLogCollector Logs { get; }

    public RunnerMetrics Metrics { get; }

    public ServiceProvider Services { get; }

    public IGitHubClientFactory Factory => Services.GetRequiredService<IGitHubClientFactory>();

    public IGitHubAppClient App => Services.GetRequiredService<IGitHubAppClient>();

    /// <param name="apiPath">Appended to the stand-in's root for GITHUB_API_URL: "" or "api/v3".</param>
    public static async Task<GitHubTestContext> StartAsync(Action<Dictionary<string, string?>>? configure = null, string apiPath = "")
    {
        var clock = new StepClock();
        var standIn = await ScriptedGitHub.StartAppAsync(TestKeys.App, AppId, clock, App31337, Installations);
        foreach (var installation in Installations)
        {
            foreach (var name in installation.Repositories!)
            {
                var repository = standIn.Repository(installation.Account, name);
                for (var number = 1; number <= 50; number++)
                {
                    repository.WithIssue(number, "Crash on start", "It crashes.");
                }
            }
        }

        var settings = new Dictionary<string, string?>
        {
            [GitHubOptions.AppIdVariable] = AppId,
            [GitHubOptions.PrivateKeyVariable] = TestKeys.Pkcs1Pem,
            [GitHubOptions.ApiUrlVariable] = standIn.Root + apiPath,
            [GitHubOptions.WriteIntervalVariable] = "0",
        };
        configure?.Invoke(settings);

        var logs = new FakeLogCollector();
        var metrics = new RunnerMetrics();
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock)
            .AddSingleton(metrics)
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)))
            .AddRunnerGitHub(Configuration(settings))
            .BuildServiceProvider();
        return new GitHubTestContext(standIn, clock, logs, metrics, services, settings);
    }

    public static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    public Task<IGitHubClient> ClientAsync(GitHubPermissions? permissions = null, long? installationId = InstallationId,
        RepositoryRef? repository = null) =>
        Factory.CreateForRepositoryAsync(repository ?? Repository, installationId, permissions ?? GitHubPermissions.IssueWriter,
            CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await StandIn.DisposeAsync();
        Metrics.Dispose();
    }
}
