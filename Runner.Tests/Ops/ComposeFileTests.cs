using Runner.Core.Configuration;
using Runner.Core.Queue;
using Runner.Hosting;

namespace Runner.Tests.Ops;

/// <summary>
/// What docker-compose.yml promises operators. CI also runs <c>docker compose config</c> on it
/// (.ci/steps/compose.sh); these checks are about Runner's own rules, which a schema cannot know.
/// </summary>
public sealed class ComposeFileTests
{
    private static readonly Dictionary<object, object> Services = RepositoryFiles.YamlDocuments("docker-compose.yml").Single().Map("services");

    [Test]
    public void Runner_service_has_the_fixed_name_restart_policy_and_waits_for_a_healthy_redis()
    {
        var runner = Services.Map("runner");

        Assert.Multiple(() =>
        {
            Assert.That(runner.Text("container_name"), Is.EqualTo("runner"), "docker logs -f runner");
            Assert.That(runner.Text("restart"), Is.EqualTo("unless-stopped"));
            Assert.That(runner.Map("depends_on").Map("redis").Text("condition"), Is.EqualTo("service_healthy"));
            Assert.That(runner.Map("build").Text("dockerfile"), Is.EqualTo("Runner/Dockerfile"));
            Assert.That(runner.Map("build").Text("context"), Is.EqualTo("."));
            // No env_file: it fails without a .env, while exported variables and --env-file must work too.
            Assert.That(runner.ContainsKey("env_file"), Is.False);
            Assert.That(runner.Text("pull_policy"), Is.EqualTo("build"), "up after an update must not reuse an old image");
            Assert.That(runner.Map("build").Map("args").Text("RUNNER_REVISION"), Is.EqualTo("${RUNNER_REVISION:-}"));
        });
    }

    [Test]
    public void Every_variable_of_env_example_reaches_the_worker_and_webhook_and_none_is_refused_by_compose()
    {
        var composeOnly = SettingCatalog.All.Where(s => s.Scope == SettingScope.Compose).Select(s => s.Variable);
        var expected = EnvExample.Variables().Except(composeOnly).ToList();
        var text = RepositoryFiles.Read("docker-compose.yml");

        Assert.Multiple(() =>
        {
            foreach (var service in new[] { "runner", "runners", "webhook" })
            {
                Assert.That(Services.Map(service).Map("environment").Keys.Select(k => k.ToString()), Is.SupersetOf(expected), service);
            }

            Assert.That(Services.Map("runner").Map("environment").Text("REDIS_URL"), Is.EqualTo("redis://redis:6379"));
            // ${X:?} is evaluated by every compose command (down, logs, ps), not only by up: the worker's one-line
            // configuration error is what reports a missing value.
            Assert.That(text, Does.Not.Contain(":?"));
        });
    }

    [Test]
    public void Stop_grace_period_leaves_the_default_shutdown_timeout_room_to_drain()
    {
        var runner = Services.Map("runner");
        var grace = Duration(runner.Text("stop_grace_period"));

        // Compose passes RUNNER_SHUTDOWN_TIMEOUT only when it is set, so the code's default is the one that applies.
        Assert.That(runner.Map("environment").Text("RUNNER_SHUTDOWN_TIMEOUT"), Is.Null);
        Assert.That(grace, Is.GreaterThanOrEqualTo(new QueueOptions().ShutdownTimeout + TimeSpan.FromSeconds(10)));
    }

    [Test]
    public void Compose_writes_no_default_of_its_own_for_a_setting_the_code_defaults()
    {
        // Values compose must set for the containers' sake: the bundled Redis and where the receiver listens inside
        // its container. Everything else is passed through bare, so a default is written once, in the code.
        string[] containerValues = ["REDIS_URL", "RUNNER_WEBHOOK_URLS"];

        Assert.Multiple(() =>
        {
            foreach (var service in new[] { "runner", "runners", "webhook" })
            {
                var environment = Services.Map(service).Map("environment");
                var withValues = environment.Keys.Select(k => k.ToString()!).Where(k => environment.Text(k) is not null);
                Assert.That(withValues.Except(containerValues), Is.Empty, service);
            }
        });
    }

    [Test]
    public void Scalable_worker_is_the_runner_without_a_container_name()
    {
        var runner = Services.Map("runner");
        var replicas = Services.Map("runners");

        Assert.Multiple(() =>
        {
            Assert.That(replicas.ContainsKey("container_name"), Is.False, "container_name forbids --scale");
            Assert.That(replicas.List("profiles"), Is.EqualTo(new[] { "scale" }));
            Assert.That(replicas.Map("environment"), Is.EquivalentTo(runner.Map("environment")));
            Assert.That(replicas.Text("stop_grace_period"), Is.EqualTo(runner.Text("stop_grace_period")));
            Assert.That(replicas.Text("image"), Is.EqualTo(runner.Text("image")));
        });
    }

    [Test]
    public void Redis_keeps_jobs_with_aof_on_a_named_volume_and_has_a_healthcheck()
    {
        var redis = Services.Map("redis");
        var command = string.Join(' ', redis.List("command"));

        Assert.Multiple(() =>
        {
            Assert.That(redis.Text("image"), Does.Match(@"^redis:(7|8)"));
            Assert.That(command, Does.Contain("--appendonly yes"));
            Assert.That(command, Does.Contain("--maxmemory-policy noeviction"));
            Assert.That(redis.Map("healthcheck").List("test"), Does.Contain("ping"));
            Assert.That(redis.List("volumes").Single().ToString(), Does.StartWith("redis-data:"));
            Assert.That(RepositoryFiles.YamlDocuments("docker-compose.yml").Single().Map("volumes").ContainsKey("redis-data"));
        });
    }

    [Test]
    public void Webhook_and_ollama_are_opt_in_profiles()
    {
        var webhook = Services.Map("webhook");
        var ollama = Services.Map("ollama");

        Assert.Multiple(() =>
        {
            Assert.That(webhook.List("profiles"), Is.EqualTo(new[] { "webhook" }));
            Assert.That(webhook.List("command"), Is.EqualTo(new[] { "webhook" }));
            Assert.That(webhook.List("ports").Single().ToString(), Does.EndWith(":8080"));
            Assert.That(webhook.Map("healthcheck").List("test"), Does.Contain("--webhook"));
            Assert.That(ollama.List("profiles"), Is.EqualTo(new[] { "ollama" }));
            Assert.That(ollama.Text("image"), Does.StartWith("ollama/ollama"));
        });
    }

    [Test]
    public void Key_file_override_covers_every_worker_service()
    {
        var overrides = RepositoryFiles.YamlDocuments("docker-compose.key-file.yml").Single().Map("services");
        var workers = Services.Where(s => s.Value.MapOrNull("environment")?.ContainsKey("OLLAMA_API_KEY") == true
            && s.Value.Text("command") is null).Select(s => s.Key);

        Assert.That(overrides.Keys, Is.EquivalentTo(workers));
        Assert.That(overrides.Values, Has.All.Matches<object>(o => o.Map("environment").Text("GITHUB_APP_PRIVATE_KEY_PATH") == "/run/secrets/github_app_private_key"));
    }

    private static TimeSpan Duration(string? text)
    {
        Assert.That(DurationSetting.TryParse(text ?? string.Empty, out var value), Is.True, $"'{text}' is not a duration");
        return value;
    }
}
