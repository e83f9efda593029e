using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Octokit;
using Runner.Core.GitHub;
using Runner.Core.Queue;
using Runner.Tests.Infrastructure;

namespace Runner.Tests.GitHub;

public sealed class InstallationTokenTests
{
    private const string TokenPath = "/api/v3/app/installations/4711/access_tokens";

    [Test]
    public async Task Token_is_down_scoped_to_the_repository_and_permissions_and_used_by_Octokit()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var client = await context.ClientAsync(GitHubPermissions.IssueWriter);
        var issue = await client.Issue.Get("octo-org", "hello", 42);

        Assert.That(issue.Title, Is.EqualTo("Crash on start"));
        var exchange = context.StandIn.RequestsTo("POST", TokenPath).Single();
        using var body = JsonDocument.Parse(exchange.Body);
        Assert.Multiple(() =>
        {
            Assert.That(exchange.Authorization, Does.StartWith("Bearer ey"), "the exchange is authenticated with the App JWT");
            Assert.That(body.RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "hello" }));
            Assert.That(body.RootElement.GetProperty("permissions").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()),
                Is.EqualTo(new Dictionary<string, string?> { ["contents"] = "read", ["issues"] = "write", ["metadata"] = "read" }));
            Assert.That(context.StandIn.RequestsTo("GET", "/api/v3/repos/octo-org/hello/issues/42").Single().Credential,
                Is.EqualTo(context.StandIn.IssuedTokens.Single()));
        });
    }

    [Test]
    public async Task Installation_is_looked_up_when_the_job_does_not_carry_one()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var client = await context.ClientAsync(installationId: null);
        await client.Issue.Get("octo-org", "hello", 1);
        await context.ClientAsync(installationId: null);

        Assert.That(context.StandIn.RequestsTo("GET", "/api/v3/repos/octo-org/hello/installation"), Has.Count.EqualTo(1), "looked up once, then cached");
        Assert.That(context.StandIn.RequestsTo("POST", TokenPath), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Token_is_reused_until_five_minutes_before_expires_at_then_refreshed()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();

        await client.Issue.Get("octo-org", "hello", 1);
        context.Clock.Advance(TimeSpan.FromMinutes(54) + TimeSpan.FromSeconds(59));
        await client.Issue.Get("octo-org", "hello", 2);
        await context.ClientAsync();
        Assert.That(context.StandIn.IssuedTokens, Has.Count.EqualTo(1), "still more than 5 minutes left");

        context.Clock.Advance(TimeSpan.FromSeconds(2));
        await client.Issue.Get("octo-org", "hello", 3);

        var tokens = context.StandIn.IssuedTokens.ToArray();
        Assert.That(tokens, Has.Length.EqualTo(2), "refreshed 5 minutes before expiry");
        Assert.That(context.StandIn.RequestsTo("GET", "/api/v3/repos/octo-org/hello/issues/3").Single().Credential, Is.EqualTo(tokens[1]),
            "a client created earlier picks up the refreshed token");
    }

    [Test]
    public async Task Tokens_are_cached_per_repository_and_permission_set()
    {
        await using var context = await GitHubTestContext.StartAsync();

        await context.ClientAsync(GitHubPermissions.IssueWriter);
        await context.ClientAsync(GitHubPermissions.ReadOnly);
        await context.ClientAsync(GitHubPermissions.IssueWriter, repository: new RepositoryRef("octo-org", "world"));
        await context.ClientAsync(GitHubPermissions.IssueWriter, repository: new RepositoryRef("Octo-Org", "Hello"));

        Assert.That(context.StandIn.IssuedTokens, Has.Count.EqualTo(3), "repository names compare case-insensitively, as on GitHub");
    }

    [Test]
    public async Task Fifty_concurrent_callers_cause_exactly_one_token_request()
    {
        await using var context = await GitHubTestContext.StartAsync();
        context.StandIn.HoldTokenExchanges = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Each call runs synchronously up to its wait on the token, so when the loop ends all 50 have asked while the
        // first exchange is held; a cache that let callers start their own exchanges has started 50 by then.
        var callers = Enumerable.Range(0, 50).Select(_ => context.ClientAsync()).ToArray();
        await WaitUntilAsync(() => context.StandIn.RequestsTo("POST", TokenPath).Count >= 1);
        Assert.That(callers.Count(c => c.IsCompleted), Is.Zero, "every caller waits on the held exchange");
        context.StandIn.HoldTokenExchanges.SetResult();
        var clients = await Task.WhenAll(callers);
        await Task.WhenAll(clients.Select(c => c.Issue.Get("octo-org", "hello", 5)));

        Assert.That(context.StandIn.RequestsTo("POST", TokenPath), Has.Count.EqualTo(1));
        Assert.That(context.StandIn.RequestsTo("GET", "/api/v3/repos/octo-org/hello/issues/5").Select(r => r.Credential).Distinct().Single(),
            Is.EqualTo(context.StandIn.IssuedTokens.Single()));
    }

    [Test]
    public async Task Tokens_are_opaque_strings_of_any_length()
    {
        await using var context = await GitHubTestContext.StartAsync();
        context.StandIn.TokenFactory = n => $"ghs_{n}_" + new string('x', 1500) + "-._~+/=";

        var client = await context.ClientAsync();
        var issue = await client.Issue.Get("octo-org", "hello", 1);

        Assert.That(issue.Number, Is.EqualTo(1));
        Assert.That(context.StandIn.RequestsTo("GET", "/api/v3/repos/octo-org/hello/issues/1").Single().Credential,
            Has.Length.GreaterThan(1500));
    }

    [Test]
    public async Task A_401_drops_the_cached_token_and_retries_once_with_a_fresh_one()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        var first = context.StandIn.IssuedTokens.Single();
        context.StandIn.Revoke(first);

        var issue = await client.Issue.Get("octo-org", "hello", 7);

        Assert.That(issue.Number, Is.EqualTo(7));
        var reads = context.StandIn.RequestsTo("GET", "/api/v3/repos/octo-org/hello/issues/7");
        Assert.That(reads.Select(r => r.Credential), Is.EqualTo(new[] { first, context.StandIn.IssuedTokens[^1] }));
        Assert.That(context.StandIn.IssuedTokens, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_second_401_is_not_retried_again_and_maps_to_a_transient_failure()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        context.StandIn.Enqueue("GET", "repos/octo-org/hello/issues/8", 401, """{"message":"Bad credentials"}""");
        context.StandIn.Enqueue("GET", "repos/octo-org/hello/issues/8", 401, """{"message":"Bad credentials"}""");

        var exception = GitHubAssert.ThrowsTransientAsync(() =>
            GitHubAssert.RunAsync("read issue #8", GitHubTestContext.Repository, () => client.Issue.Get("octo-org", "hello", 8)));

        Assert.That(exception!.InnerException, Is.InstanceOf<AuthorizationException>());
        Assert.That(exception.Message, Does.Contain("read issue #8").And.Contain("octo-org/hello").And.Contain("401"));
        Assert.That(context.StandIn.RequestsTo("GET", "/api/v3/repos/octo-org/hello/issues/8"), Has.Count.EqualTo(2));
        Assert.That(context.StandIn.IssuedTokens, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Uninstalled_installation_is_a_permanent_failure_naming_operation_repository_and_status()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var exception = GitHubAssert.ThrowsPermanentAsync(() => context.ClientAsync(installationId: 999));

        Assert.That(exception!.Message, Is.EqualTo(
            "GitHub POST /app/installations/999/access_tokens for octo-org/hello answered 404 Not Found: Not Found (the installation does not exist or was removed)"));
    }

    [Test]
    public async Task Repository_outside_the_installation_is_a_permanent_422()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var exception = GitHubAssert.ThrowsPermanentAsync(() =>
            context.ClientAsync(repository: new RepositoryRef("octo-org", "secret-project")));

        Assert.That(exception!.Message, Does.StartWith("GitHub POST /app/installations/4711/access_tokens for octo-org/secret-project answered 422"));
    }

    [Test]
    public async Task Repository_without_the_app_installed_fails_the_lookup_permanently()
    {
        await using var context = await GitHubTestContext.StartAsync();

        var exception = GitHubAssert.ThrowsPermanentAsync(() =>
            context.ClientAsync(installationId: null, repository: new RepositoryRef("someone", "else")));

        Assert.That(exception!.Message, Does.Contain("GET /repos/someone/else/installation for someone/else answered 404")
            .And.Contain("the App is not installed on this repository"));
    }

    [Test]
    public async Task A_failed_exchange_is_not_cached()
    {
        await using var context = await GitHubTestContext.StartAsync();
        context.StandIn.Enqueue("POST", "app/installations/4711/access_tokens", 500, """{"message":"boom"}""");

        GitHubAssert.ThrowsTransientAsync(() => context.ClientAsync());
        var client = await context.ClientAsync();

        Assert.That((await client.Issue.Get("octo-org", "hello", 1)).Number, Is.EqualTo(1));
        Assert.That(context.StandIn.RequestsTo("POST", TokenPath), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_redirect_to_another_origin_does_not_carry_the_token()
    {
        await using var context = await GitHubTestContext.StartAsync();
        string? seenAuthorization = null;
        await using var elsewhere = await LoopbackHttpServer.StartAsync(app => app.Run(async http =>
        {
            seenAuthorization = http.Request.Headers.Authorization.ToString();
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("""{"number":1,"title":"moved","state":"open"}""");
        }));
        var client = await context.ClientAsync();

        // Same host, other port: Octokit's own redirect code compares hosts only and would keep the header.
        context.StandIn.Enqueue("GET", "repos/octo-org/hello/issues/1", 302, string.Empty,
            ("Location", new Uri(elsewhere.BaseAddress, "moved/issues/1").ToString()));
        var issue = await client.Issue.Get("octo-org", "hello", 1);

        Assert.That(issue.Title, Is.EqualTo("moved"));
        Assert.That(seenAuthorization, Is.Empty);
        Assert.That(context.StandIn.RequestsTo("GET", "/issues/1").Single().Credential, Is.EqualTo(context.StandIn.IssuedTokens.Single()));
    }

    internal static Task WaitUntilAsync(Func<bool> condition) =>
        Eventually.HoldsAsync(condition, "the token condition", TimeSpan.FromSeconds(10));
}
