using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Tests.Ops;

namespace Runner.Tests.Cluster;

/// <summary>deploy/scaledobject-cluster.example.yaml must watch what the worker reads on a cluster, like scaledobject.yaml does on one Redis.</summary>
public sealed class ClusterManifestTests
{
    [Test]
    public void The_cluster_scaled_object_mirrors_the_single_redis_one_on_a_hash_tagged_stream()
    {
        static List<Dictionary<object, object>> Triggers(string file) => RepositoryFiles.YamlDocuments(Path.Combine("deploy", file))
            .Single(d => d.Text("kind") == "ScaledObject").Map("spec").List("triggers").Cast<Dictionary<object, object>>().ToList();

        var single = Triggers("scaledobject.yaml");
        var cluster = Triggers("scaledobject-cluster.example.yaml");
        Assert.Multiple(() =>
        {
            Assert.That(cluster.Select(t => t.Text("type")), Has.All.EqualTo("redis-cluster-streams"));
            Assert.That(cluster.Select(t => RedisKeyPrefix.HashTag(t.Map("metadata").Text("stream")!)), Has.All.EqualTo("runner"));
            Assert.That(cluster.Select(t => t.Map("metadata").Text("consumerGroup")), Has.All.EqualTo(QueueOptions.DefaultGroup));
            foreach (var threshold in new[] { "pendingEntriesCount", "lagCount", "activationLagCount" })
            {
                Assert.That(cluster.Select(t => t.Map("metadata").Text(threshold)).OfType<string>(),
                    Is.EqualTo(single.Select(t => t.Map("metadata").Text(threshold)).OfType<string>()), threshold);
            }
        });
    }
}
