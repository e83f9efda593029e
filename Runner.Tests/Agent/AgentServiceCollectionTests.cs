using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Runner.Core.Agent;
using Runner.Core.GitHub;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Tests.Agent.Support;

namespace Runner.Tests.Agent;

public sealed class AgentServiceCollectionTests
{
    [Test]
    public async Task Handlers_from_AddRunnerAgent_with_AddRunnerRedis_handle_a_dispatched_job()
    {
        await using var gitHub = await GitHubStandIn.StartAsync();
        var repo = gitHub.Repository("octo-org", "hello-world").WithLabels("bug").WithFile("README.md", "# hi\n");
        var cache = Path.Combine(Path.GetTempPath(), $"runner-di-test-{Guid.NewGuid():N}");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["REDIS_URL"] = AgentRedis.Server.Url,
            ["RUNNER_CACHE_DIR"] = cache,
            ["AGENT_MAX_STEPS"] = "4",
            ["AGENT_LOCK_TTL"] = "45s",
        }).Build();
        var llm = new ScriptedLlm().ReplyJson(new { summary = "Dispatched through DI.", labels = new[] { "bug" } });
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddRunnerRedis(configuration)
            .AddSingleton<IGitHubClientFactory>(new TestGitHubClientFactory(gitHub.BaseAddress))
            .AddSingleton(llm.Object)
            .AddRunnerAgent(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        services.GetRequiredService<IStartupValidator>().Validate();
        var options = services.GetRequiredService<IOptions<AgentOptions>>().Value;
        Assert.That((options.MaxSteps, options.LockTtl, options.CacheDirectory), Is.EqualTo((4, TimeSpan.FromSeconds(45), cache)));

        var handlers = services.GetServices<IJobHandler>().ToList();
        Assert.That(handlers.SelectMany(h => h.Events), Is.EquivalentTo(new[] { "issues", "issue_comment", "pull_request" }));
        var payload = await File.ReadAllTextAsync(AgentHarness.FixturePath("issues.opened.json"));
        var job = new Job("1700000000000-0", "issues", "72d3162e-cc78-11e3-81ab-4c9367dc0958", payload, 1, DateTimeOffset.UtcNow);
        await handlers.Single(h => h.Events.Contains(job.Event)).HandleAsync(job, CancellationToken.None);

        Assert.That(repo.CommentsOn(42).Single().Body, Does.StartWith("<!-- runner:triage delivery:72d3162e-cc78-11e3-81ab-4c9367dc0958 -->").And.Contain("Dispatched through DI."));
        Assert.That(Directory.Exists(cache), Is.False, "no tool was called, so nothing was downloaded");
    }

    [Test]
    public void Invalid_settings_fail_validation_naming_the_variable()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AGENT_MAX_STEPS"] = "0",
            ["AGENT_MAX_TOKENS"] = "100",
            ["RUNNER_ARCHIVE_MAX_MB"] = "200",
            ["RUNNER_CACHE_MAX_MB"] = "100",
        }).Build();
        using var services = new ServiceCollection().AddRunnerAgent(configuration).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => _ = services.GetRequiredService<IOptions<AgentOptions>>().Value);

        Assert.That(failure!.Failures, Is.EquivalentTo(new[]
        {
            "AGENT_MAX_STEPS must be between 1 and 50",
            "AGENT_MAX_TOKENS must be between 2000 and 10000000",
            "RUNNER_CACHE_MAX_MB must be at least RUNNER_ARCHIVE_MAX_MB",
        }));
    }

    [Test]
    public void A_lock_ttl_that_is_not_a_duration_is_reported_by_name()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AGENT_LOCK_TTL"] = "soon" }).Build();
        using var services = new ServiceCollection().AddRunnerAgent(configuration).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => _ = services.GetRequiredService<IOptions<AgentOptions>>().Value);

        Assert.That(failure!.Failures.Single(), Does.StartWith("AGENT_LOCK_TTL must be a duration"));
    }
}
