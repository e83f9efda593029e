using Runner.Core.Queue;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Runner.Core.Configuration;
using StackExchange.Redis;

namespace Runner.Tests.Ops;

/// <summary>
/// The sandbox's stand-ins served to other containers (compose profile demo), and the sandbox leaving nothing
/// behind in an operator's Redis. The whole demo deployment runs in .ci/steps/container.sh.
/// </summary>
public sealed partial class SandboxServeTests : LocalRedisFixture
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Serve_queues_the_demo_issue_serves_github_and_the_model_and_stops_cleanly_on_sigterm()
    {
        var stream = $"serve-test-{Guid.NewGuid():N}";
        using var runner = RunnerProcess.Start(new Dictionary<string, string> { ["REDIS_URL"] = Redis.Url, ["RUNNER_STREAM"] = stream },
            "sandbox", "serve", "--listen", "127.0.0.1", "--github-port", "0", "--model-port", "0");

        var gitHubLine = await runner.WaitForOutputAsync(l => l.StartsWith("sandbox serve: GitHub stand-in on", StringComparison.Ordinal), Timeout);
        var modelLine = await runner.WaitForOutputAsync(l => l.StartsWith("sandbox serve: model stand-in on", StringComparison.Ordinal), Timeout);
        await runner.WaitForOutputAsync(l => l.StartsWith("sandbox serve: enqueued issues.opened", StringComparison.Ordinal), Timeout);

        await using var connection = await ConnectionMultiplexer.ConnectAsync(Redis.HostPort);
        var entries = await connection.GetDatabase().StreamRangeAsync(stream);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", "any-installation-token");
        using var repository = await http.GetAsync(new Uri(Address(gitHubLine), "api/v3/repos/octo-demo/hello-runner"));
        using var tags = await http.GetAsync(new Uri(Address(modelLine), "api/tags"));

        await runner.TerminateAsync();
        var exit = await runner.WaitForExitAsync(Timeout);

        Assert.Multiple(() =>
        {
            Assert.That(entries, Has.Length.EqualTo(1));
            Assert.That(entries.Single()["event"].ToString(), Is.EqualTo("issues"));
            Assert.That(repository.IsSuccessStatusCode, Is.True, repository.StatusCode.ToString());
            Assert.That(tags.IsSuccessStatusCode, Is.True, tags.StatusCode.ToString());
            Assert.That(exit, Is.Zero, runner.AllText);
            Assert.That(runner.Output, Does.Contain("sandbox serve: stopping"));
        });
    }

    [Test]
    public async Task Sandbox_on_an_operators_redis_removes_its_stream_when_done()
    {
        var environment = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["REDIS_URL"] = Redis.Url }).Build();
        await using var output = new StringWriter();

        var exit = await Runner.Sandbox.SandboxRun.RunAsync(environment, Timeout, output, CancellationToken.None);

        var stream = SandboxStream().Match(output.ToString());
        Assert.That(exit, Is.Zero, output.ToString());
        Assert.That(stream.Success, Is.True, output.ToString());
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Redis.HostPort);
        var database = connection.GetDatabase();
        var name = stream.Groups["stream"].Value;
        var left = new List<string>();
        foreach (var key in new[] { name, name + ":dead", name + ":retry", QueueOptions.DefaultStream })
        {
            if (await database.KeyExistsAsync(key))
            {
                left.Add(key);
            }
        }

        Assert.That(left, Is.Empty, "neither the sandbox's stream nor the real job stream may be left behind");
    }

    private static Uri Address(string line) => new(AddressPattern().Match(line).Value.TrimEnd('/') + "/");

    [GeneratedRegex(@"http://[0-9.]+:[0-9]+/")]
    private static partial Regex AddressPattern();

    [GeneratedRegex(@"stream (?<stream>runner:sandbox:[0-9a-f]{32})")]
    private static partial Regex SandboxStream();
}
