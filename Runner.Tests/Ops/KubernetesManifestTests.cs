using System.Globalization;
using Runner.Core.Configuration;
using Runner.Core.Queue;

namespace Runner.Tests.Ops;

/// <summary>
/// Runner's rules for deploy/: what ties the manifests to the code's defaults. Structure (selectors, references,
/// resources on every container) is checked by .ci/steps/manifests.sh.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly Dictionary<object, object> Config = Single("configmap.yaml", "ConfigMap").Map("data");

    [Test]
    public void Grace_period_is_longer_than_the_shutdown_timeout()
    {
        var pod = Worker().Map("spec").Map("template").Map("spec");
        var grace = TimeSpan.FromSeconds(int.Parse(pod.Text("terminationGracePeriodSeconds")!, CultureInfo.InvariantCulture));
        var shutdown = QueueOptions.DefaultShutdownTimeout;
        if (Config.Text("RUNNER_SHUTDOWN_TIMEOUT") is { } configured)
        {
            Assert.That(DurationSetting.TryParse(configured, out shutdown), Is.True);
        }

        Assert.That(grace, Is.GreaterThanOrEqualTo(shutdown + TimeSpan.FromSeconds(10)));
    }

    [Test]
    public void Worker_takes_secrets_from_the_secret_and_has_requests_and_limits()
    {
        var container = (Dictionary<object, object>)Worker().Map("spec").Map("template").Map("spec").List("containers").Single();
        var secretName = Single("secret.example.yaml", "Secret").Map("metadata").Text("name");
        var secretKeys = Single("secret.example.yaml", "Secret").Map("stringData").Keys.Select(k => k.ToString());

        Assert.Multiple(() =>
        {
            Assert.That(container.List("envFrom").Select(e => e.MapOrNull("secretRef").Text("name")).OfType<string>(), Does.Contain(secretName));
            Assert.That(secretKeys, Is.SupersetOf(new[] { "OLLAMA_API_KEY", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY" }));
            Assert.That(Config.Keys.Select(k => k.ToString()), Has.None.Matches<string>(k => k!.Contains("KEY", StringComparison.Ordinal) || k.Contains("SECRET", StringComparison.Ordinal)),
                "no secret in the ConfigMap");
            Assert.That(container.Map("resources").Map("requests").Keys, Is.SupersetOf(new[] { "cpu", "memory" }));
            Assert.That(container.Map("resources").Map("limits").Keys, Is.SupersetOf(new[] { "cpu", "memory" }));
        });
    }

    [Test]
    public void Private_key_example_is_a_multi_line_block()
    {
        var key = Single("secret.example.yaml", "Secret").Map("stringData").Text("GITHUB_APP_PRIVATE_KEY");

        Assert.That(key, Does.StartWith("-----BEGIN ").And.Contains("\n").And.Contains("-----END "));
    }

    [Test]
    public void Keda_scales_the_worker_on_the_runner_group_of_the_job_stream()
    {
        var scaled = Single("scaledobject.yaml", "ScaledObject").Map("spec");
        var triggers = scaled.List("triggers").Cast<Dictionary<object, object>>().ToList();
        var pending = triggers.Single(t => t.Map("metadata").ContainsKey("pendingEntriesCount")).Map("metadata");

        Assert.Multiple(() =>
        {
            Assert.That(scaled.Map("scaleTargetRef").Text("name"), Is.EqualTo(Worker().Map("metadata").Text("name")));
            Assert.That(triggers.Select(t => t.Text("type")), Has.All.EqualTo("redis-streams"));
            Assert.That(triggers.Select(t => t.Map("metadata").Text("stream")), Has.All.EqualTo(QueueOptions.DefaultStream).And.All.EqualTo(Config.Text("RUNNER_STREAM")));
            Assert.That(triggers.Select(t => t.Map("metadata").Text("consumerGroup")), Has.All.EqualTo(QueueOptions.DefaultGroup).And.All.EqualTo(Config.Text("RUNNER_GROUP")));
            // Replicas read only as many entries as they have slots: a target at or above the concurrency never scales out.
            Assert.That(int.Parse(pending.Text("pendingEntriesCount")!, CultureInfo.InvariantCulture),
                Is.LessThan(int.Parse(Config.Text("RUNNER_CONCURRENCY")!, CultureInfo.InvariantCulture)));
            Assert.That(int.Parse(scaled.Text("minReplicaCount")!, CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(1));
        });
    }

    [Test]
    public void Disruption_budget_covers_the_worker_pods()
    {
        var selector = Single("pdb.yaml", "PodDisruptionBudget").Map("spec").Map("selector").Map("matchLabels");
        var labels = Worker().Map("spec").Map("template").Map("metadata").Map("labels");

        Assert.That(selector, Is.SubsetOf(labels));
    }

    [Test]
    public void Pods_run_as_the_images_non_root_user()
    {
        var security = Worker().Map("spec").Map("template").Map("spec").Map("securityContext");

        Assert.That(security.Text("runAsNonRoot"), Is.EqualTo("true"));
        Assert.That(security.Text("runAsUser"), Is.EqualTo("1654"), "APP_UID of the mcr.microsoft.com/dotnet images");
    }

    private static Dictionary<object, object> Worker() => Single("deployment.yaml", "Deployment");

    private static Dictionary<object, object> Single(string file, string kind) =>
        RepositoryFiles.YamlDocuments(Path.Combine("deploy", file)).Single(d => d.Text("kind") == kind);
}
