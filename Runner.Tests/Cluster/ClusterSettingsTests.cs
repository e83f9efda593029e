using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Runner.Core.Agent.Locking;
using Runner.Core.Agent;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Redis;

namespace Runner.Tests.Cluster;

/// <summary>The settings a cluster deployment uses: several REDIS_URL endpoints and key prefixes that can carry a hash tag.</summary>
public sealed class ClusterSettingsTests
{
    [Test]
    public void Redis_url_takes_extra_cluster_endpoints_that_share_the_first_urls_scheme_and_credentials()
    {
        Assert.That(RedisUrl.TryParse("rediss://worker:s%40cret@node-a:7000, node-b:7001,node-c", out var options, out var error), Is.True, error);
        Assert.Multiple(() =>
        {
            Assert.That(options.EndPoints.Cast<DnsEndPoint>().Select(e => $"{e.Host}:{e.Port}"), Is.EqualTo(new[] { "node-a:7000", "node-b:7001", "node-c:6379" }));
            Assert.That(options.Ssl, Is.True);
            Assert.That(options.User, Is.EqualTo("worker"));
            Assert.That(options.Password, Is.EqualTo("s@cret"));
        });
    }

    [TestCase("redis://node-a:7000,redis://node-b:7001")]
    [TestCase("redis://node-a:7000,")]
    [TestCase("node-a:7000,node-b:notaport")]
    [TestCase("redis://:hunter2@node-a:7000,user:hunter2@node-b")]
    public void Redis_url_rejects_a_bad_extra_endpoint_without_repeating_the_value(string url)
    {
        Assert.That(RedisUrl.TryParse(url, out _, out var error), Is.False);
        Assert.That(error, Does.StartWith("REDIS_URL"));
        Assert.That(error, Does.Not.Contain("hunter2").And.Not.Contain("node-b"));
    }

    [Test]
    public void The_banner_shows_every_cluster_endpoint_and_hides_the_password()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["REDIS_URL"] = "redis://worker:pa55-word@node-a:7000,node-b:7001",
            ["LLM_REDIS_PREFIX"] = "{runner}:llm:",
        }).Build();
        var lines = Runner.Hosting.StartupBanner.Worker.Render(configuration).Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.One.Match(@"^\s*REDIS_URL\s+= redis://\*\*\*@node-a:7000,node-b:7001$"));
            Assert.That(lines, Has.One.Match(@"^\s*LLM_REDIS_PREFIX\s+= \{runner\}:llm:$"));
            Assert.That(lines, Has.One.Match(@"^\s*AGENT_LOCK_PREFIX\s+= runner:agent:lock: \(default\)$"));
            Assert.That(string.Join('\n', lines), Does.Not.Contain("pa55-word"));
        });
    }

    [TestCase("{runner}:jobs", "runner")]
    [TestCase("runner:{jobs}:x", "jobs")]
    [TestCase("runner:jobs", null)]
    [TestCase("{}runner", null)]
    [TestCase("runner:{jobs", null)]
    [TestCase("a}b{c}d", "c")]
    public void Hash_tag_follows_the_redis_cluster_rule(string key, string? tag) =>
        Assert.That(RedisKeyPrefix.HashTag(key), Is.EqualTo(tag));

    [Test]
    public void Llm_and_lock_prefixes_default_to_the_keys_existing_deployments_have()
    {
        var llm = Bind<LlmOptions>([]);
        var agent = Bind<AgentOptions>([]);
        Assert.Multiple(() =>
        {
            Assert.That(llm.RedisKeyPrefix, Is.EqualTo("runner:llm:"));
            Assert.That(agent.LockPrefix, Is.EqualTo("runner:agent:lock:"));
            Assert.That(IssueLock.KeyFor(new RepositoryRef("Octo", "Repo"), 12).ToString(), Is.EqualTo("runner:agent:lock:{octo/repo#12}"));
        });
    }

    [Test]
    public void Llm_and_lock_prefixes_are_read_from_their_variables_and_validated()
    {
        var llm = Bind<LlmOptions>(new() { ["LLM_REDIS_PREFIX"] = "{runner}:llm:", ["OLLAMA_API_KEY"] = "k" });
        var agent = Bind<AgentOptions>(new() { ["AGENT_LOCK_PREFIX"] = "{runner}:agent:lock:" });
        Assert.Multiple(() =>
        {
            Assert.That(new LlmOptionsValidator().Validate(null, llm).Succeeded, Is.True);
            Assert.That(new AgentOptionsValidator().Validate(null, agent).Succeeded, Is.True);
            Assert.That(llm.RedisKeyPrefix, Is.EqualTo("{runner}:llm:"));
            Assert.That(IssueLock.KeyFor(new RepositoryRef("octo", "repo"), 1, agent.LockPrefix).ToString(), Is.EqualTo("{runner}:agent:lock:octo/repo#1"));
        });

        var badLlm = Bind<LlmOptions>(new() { ["LLM_REDIS_PREFIX"] = "{runner:llm:", ["OLLAMA_API_KEY"] = "k" });
        var badAgent = Bind<AgentOptions>(new() { ["AGENT_LOCK_PREFIX"] = "runner agent" });
        Assert.That(new LlmOptionsValidator().Validate(null, badLlm).Failures, Has.One.StartsWith("LLM_REDIS_PREFIX"));
        Assert.That(new AgentOptionsValidator().Validate(null, badAgent).Failures, Has.One.StartsWith("AGENT_LOCK_PREFIX"));
    }

    [Test]
    public async Task The_issue_lock_uses_the_configured_prefix()
    {
        await using var server = await LocalRedisServer.StartAsync();
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(server.Url));
        var options = Options.Create(new AgentOptions { LockPrefix = "{runner}:agent:lock:" });
        var issueLock = new IssueLock(redis, TimeProvider.System, NullLogger<IssueLock>.Instance, options);
        var attempt = await issueLock.TryAcquireAsync(new RepositoryRef("octo", "repo"), 7, "delivery-7", TimeSpan.FromSeconds(30));
        await using var lease = attempt.Lease;
        Assert.That(lease, Is.Not.Null);
        Assert.That(await redis.GetDatabase().KeyExistsAsync("{runner}:agent:lock:octo/repo#7"), Is.True);
        Assert.That(await redis.GetDatabase().KeyExistsAsync("runner:agent:lock:{octo/repo#7}"), Is.False);
    }

    private static T Bind<T>(Dictionary<string, string?> values) where T : new()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new T();
        configuration.Bind(options);
        return options;
    }
}
