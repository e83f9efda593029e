using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Runner.Core.GitHub;
using Runner.Core.Queue;
using Runner.Hosting;

namespace Runner.Cli;

/// <summary>
/// <c>runner github check [--repository owner/name]</c>: the first command an operator runs after setting the
/// <c>GITHUB_*</c> variables. Signs a JWT, calls <c>GET /app</c>, lists the installations and, with
/// <c>--repository</c>, exchanges a read-only installation token for that repository. Exit 0 when GitHub
/// accepted everything, 1 when GitHub refused or could not be reached or the configuration is bad (as every verb),
/// 2 for bad arguments;
/// every failure is one line on stderr.
/// </summary>
internal static class GitHubCommands
{
    private static readonly GitHubPermissions MetadataOnly = GitHubPermissions.Of(("metadata", "read"));

    public static IEnumerable<Command> Create() => [Create(RunnerHost.CreateBuilder, Console.Out, Console.Error)];

    /// <param name="createBuilder">Where configuration and logging come from; tests pass their own.</param>
    internal static Command Create(Func<HostApplicationBuilder> createBuilder, TextWriter output, TextWriter error)
    {
        var repository = new Option<string?>("--repository", "-r")
        {
            Description = "Also exchange a read-only installation token for owner/name (checks the App is installed there)",
        };
        var check = new Command("check", "Sign an App JWT, call GET /app and list the App's installations");
        check.Options.Add(repository);
        check.SetAction((parseResult, cancellationToken) =>
            CheckAsync(createBuilder(), parseResult.GetValue(repository), output, error, cancellationToken));

        var github = new Command("github", "GitHub App tools");
        github.Subcommands.Add(check);
        return github;
    }

    private static async Task<int> CheckAsync(HostApplicationBuilder builder, string? repositoryName, TextWriter output,
        TextWriter error, CancellationToken cancellationToken)
    {
        RepositoryRef? repository = null;
        if (repositoryName is not null)
        {
            try
            {
                repository = RepositoryRef.Parse(repositoryName);
            }
            catch (FormatException exception)
            {
                await error.WriteLineAsync($"runner: --repository: {exception.Message}");
                return ExitCodes.Usage;
            }
        }

        builder.Services.AddRunnerGitHub(builder.Configuration);
        using var host = builder.Build();
        if (!RunnerHost.TryValidateConfiguration(host.Services, out var configurationError))
        {
            await error.WriteLineAsync($"runner: configuration error: {configurationError}");
            return ExitCodes.Failure;
        }

        var app = host.Services.GetRequiredService<IGitHubAppClient>();
        try
        {
            var info = await app.GetAppAsync(cancellationToken);
            await output.WriteLineAsync(Invariant($"GitHub App '{info.Slug}' (id {info.Id}, \"{info.Name}\", owner {info.Owner ?? "?"}) at {app.ApiBase}"));
            await output.WriteLineAsync("Features (App permissions and webhook events):");
            foreach (var line in GitHubFeatures.Describe(info.Permissions ?? new Dictionary<string, string>(), info.Events ?? []))
            {
                await output.WriteLineAsync(line);
            }

            var installations = await app.ListInstallationsAsync(cancellationToken);
            await output.WriteLineAsync(installations.Count == 0
                ? "Installations: none (install the App on an account or repository first)"
                : Invariant($"Installations: {installations.Count}"));
            foreach (var installation in installations)
            {
                await output.WriteLineAsync(Invariant(
                    $"  {installation.Id}  {installation.Account} ({installation.AccountType}), repositories: {installation.RepositorySelection}{(installation.Suspended ? ", SUSPENDED" : string.Empty)}"));
            }

            if (repository is not null)
            {
                var installationId = await app.GetRepositoryInstallationIdAsync(repository, cancellationToken);
                var factory = host.Services.GetRequiredService<IGitHubClientFactory>();
                await factory.CreateForRepositoryAsync(repository, installationId, MetadataOnly, cancellationToken);
                await output.WriteLineAsync(Invariant($"{repository}: installation {installationId}, read-only installation token issued"));
            }

            return ExitCodes.Ok;
        }
        catch (GitHubException exception)
        {
            await error.WriteLineAsync($"runner: github check failed: {exception.Message}");
            return ExitCodes.Failure;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
