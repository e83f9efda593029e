using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Runner.Cli;
using Runner.Core.GitHub;

namespace Runner.Tests.GitHub;

/// <summary><c>runner github check</c>, invoked in-process through System.CommandLine against the stand-in.</summary>
public sealed class GitHubCheckCommandTests
{
    [Test]
    public async Task Check_prints_the_app_slug_and_its_installations()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var (exit, output, error) = await RunAsync(context, null, "github", "check");

        Assert.That(exit, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("GitHub App 'runner-test' (id 31337, \"Runner Test\", owner octo-org)"));
        Assert.That(output, Does.Contain("Installations: 2"));
        Assert.That(output, Does.Contain("  4711  octo-org (Organization), repositories: selected"));
        Assert.That(output, Does.Contain("  4712  alice (User), repositories: selected"));
        Assert.That(error, Is.Empty);
    }

    [Test]
    public async Task Check_reports_per_feature_what_the_app_permissions_and_events_allow_and_what_to_add()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var (exit, output, error) = await RunAsync(context, null, "github", "check");

        Assert.That(exit, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("  triage  ok (new and reopened issues)"));
        Assert.That(output, Does.Contain("  ask     ok (/runner ask in issue comments)"));
        Assert.That(output, Does.Contain(
            "  review  MISSING: add permission \"Pull requests\": Read and write (has read); add event \"Pull request\""));
        Assert.That(output, Does.Contain(
            "  fix     MISSING: add permission \"Contents\": Read and write (has read); add permission \"Pull requests\": Read and write (has read) (/runner fix and the runner:fix label)"));
    }

    [Test]
    public async Task Check_with_a_repository_exchanges_a_metadata_only_token_for_it()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var (exit, output, error) = await RunAsync(context, null, "github", "check", "--repository", "octo-org/hello");

        Assert.That(exit, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("octo-org/hello: installation 4711, read-only installation token issued"));
        using var body = JsonDocument.Parse(context.StandIn.RequestsTo("POST", "/access_tokens").Single().Body);
        Assert.That(body.RootElement.GetProperty("permissions").GetRawText(), Is.EqualTo("""{"metadata":"read"}"""));
    }

    [Test]
    public async Task Check_reports_a_repository_without_the_app_in_one_line_and_exits_1()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var (exit, _, error) = await RunAsync(context, null, "github", "check", "-r", "someone/else");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error.TrimEnd(), Is.EqualTo(
            "runner: github check failed: GitHub GET /repos/someone/else/installation for someone/else answered 404 Not Found: Not Found (the App is not installed on this repository)"));
    }

    [Test]
    public async Task Check_reports_a_rejected_JWT_in_one_line_and_exits_1()
    {
        await using var context = await GitHubTestContext.StartAsync();
        context.StandIn.ExpectedIssuer = "999";

        var (exit, output, error) = await RunAsync(context, null, "github", "check");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.StartWith("runner: github check failed: GitHub GET /app for the App answered 401 Unauthorized"));
    }

    [Test]
    public async Task Check_reports_missing_configuration_in_one_line_and_exits_1_like_every_verb()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var (exit, _, error) = await RunAsync(context, s => s.Remove(GitHubOptions.PrivateKeyVariable), "github", "check");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error.TrimEnd(), Is.EqualTo(
            "runner: configuration error: GITHUB_APP_PRIVATE_KEY is required (or GITHUB_APP_PRIVATE_KEY_PATH): the App's private key (.pem)"));
        Assert.That(context.StandIn.Seen, Is.Empty);
    }

    [Test]
    public async Task Check_reports_an_unreachable_API_in_one_line_and_exits_1()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var (exit, _, error) = await RunAsync(context, s => s[GitHubOptions.ApiUrlVariable] = "http://127.0.0.1:1", "github", "check");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.StartWith("runner: github check failed: GitHub GET /app for the App failed:"));
    }

    [Test]
    public async Task Check_with_a_malformed_repository_is_a_usage_error()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var (exit, _, error) = await RunAsync(context, null, "github", "check", "--repository", "just-a-name");

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("runner: --repository: 'just-a-name' is not an owner/name repository"));
    }

    [Test]
    public async Task The_verb_is_registered_on_runners_command_line()
    {
        Assert.That(await RunnerCli.InvokeAsync(["github", "check", "--help"]), Is.EqualTo(0));
        Assert.That(await RunnerCli.InvokeAsync(["github", "no-such-verb"]), Is.EqualTo(2));
    }

    internal static async Task<(int Exit, string Output, string Error)> RunAsync(GitHubTestContext context,
        Action<Dictionary<string, string?>>? change, params string[] args)
    {
        var settings = new Dictionary<string, string?>(context.Settings);
        change?.Invoke(settings);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var command = GitHubCommands.Create(() =>
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddSingleton<TimeProvider>(context.Clock);
            builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(context.Logs));
            return builder;
        }, output, error);
        var root = new RootCommand();
        root.Subcommands.Add(command);

        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
        return (exit, output.ToString(), error.ToString());
    }
}
