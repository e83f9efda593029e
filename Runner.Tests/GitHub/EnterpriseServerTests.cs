namespace Runner.Tests.GitHub;

/// <summary>The stand-in only serves /api/v3/, as GitHub Enterprise Server does: both URL forms must land there.</summary>
public sealed class EnterpriseServerTests
{
    [TestCase("")]
    [TestCase("api/v3")]
    [TestCase("api/v3/")]
    public async Task Both_GITHUB_API_URL_forms_reach_the_api_v3_paths_for_Octokit_and_Runners_own_calls(string apiPath)
    {
        await using var context = await GitHubTestContext.StartAsync(apiPath: apiPath);

        var app = await context.App.GetAppAsync(CancellationToken.None);
        var client = await context.ClientAsync(installationId: null);
        var issue = await client.Issue.Get("octo-org", "hello", 9);

        Assert.That(app.Slug, Is.EqualTo("runner-test"));
        Assert.That(issue.Number, Is.EqualTo(9));
        Assert.That(context.App.ApiBase, Is.EqualTo(new Uri(context.StandIn.Root, "api/v3/")));
        Assert.That(context.StandIn.Seen.Select(r => r.Path), Is.All.StartWith("/api/v3/"));
        Assert.That(context.StandIn.Seen.Select(r => r.Path), Is.EquivalentTo(new[]
        {
            "/api/v3/app",
            "/api/v3/repos/octo-org/hello/installation",
            "/api/v3/app/installations/4711/access_tokens",
            "/api/v3/repos/octo-org/hello/issues/9",
        }));
    }
}
