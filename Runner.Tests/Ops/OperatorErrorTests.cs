using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Runner.Core.Queue;
using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Tests.Ops;

/// <summary>
/// What an operator types, run as the real binary: every error is one line on stderr with the exit code the README
/// promises (1 failure, 2 usage), and nothing leaks from the layers below (Lua errors, client dumps, retry logs).
/// </summary>
public sealed class OperatorErrorTests : LocalRedisFixture
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Enqueue_without_arguments_names_both_missing_arguments_in_one_line()
    {
        var (exit, output, error) = await RunAsync([], "enqueue");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(output, Is.Empty);
            Assert.That(error, Has.Count.EqualTo(1));
            Assert.That(error.Single(), Is.EqualTo("runner: enqueue: missing <event> and <payload.json>; usage: runner enqueue <event> <payload.json> [--delivery] (see --help)"));
        });
    }

    [TestCase("dead", "list, replay, purge")]
    [TestCase("github", "check")]
    [TestCase("llm", "ping, models")]
    public async Task A_verb_without_its_sub_verb_lists_them_in_one_line(string verb, string subVerbs)
    {
        var (exit, _, error) = await RunAsync([], verb);

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(error, Is.EqualTo(new[] { $"runner: {verb}: needs one of: {subVerbs} (see --help)" }));
        });
    }

    [Test]
    public async Task Help_is_a_verb_and_the_help_text_promises_only_what_ships()
    {
        var (exit, output, error) = await RunAsync([], "help");
        var (enqueueExit, enqueueHelp, _) = await RunAsync([], "help", "enqueue");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.Zero);
            Assert.That(error, Is.Empty);
            Assert.That(string.Join('\n', output), Does.Contain("Usage:").And.Contain("sandbox"));
            Assert.That(enqueueExit, Is.Zero);
            // Pull requests ship now (review, fix), so enqueue's help names their event.
            Assert.That(string.Join('\n', enqueueHelp), Does.Contain("pull_request"));
        });
    }

    [Test]
    public async Task Llm_ping_against_a_closed_port_answers_in_one_line_after_one_attempt()
    {
        var (exit, output, error) = await RunAsync(
            new() { ["OLLAMA_API_KEY"] = "test-key", ["OLLAMA_API_URL"] = $"http://127.0.0.1:{ClosedPort()}/api" }, "llm", "ping");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(output, Is.Empty, "no retry log lines");
            Assert.That(error, Has.Count.EqualTo(1));
            Assert.That(error.Single(), Does.StartWith("runner: llm ping failed:").And.Contain("after 1 attempts").And.Contain("refused"));
        });
    }

    [Test]
    public async Task Health_names_a_refused_port_instead_of_a_timeout()
    {
        var port = ClosedPort();
        var (exit, _, error) = await RunAsync(new() { ["REDIS_URL"] = $"redis://127.0.0.1:{port}" }, "health", "--timeout", "30s");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(error, Is.EqualTo(new[] { $"runner health: redis 127.0.0.1:{port} unavailable: connection refused (is Redis running, and is REDIS_URL right?)" }));
        });
    }

    [Test]
    public async Task A_redis_url_with_spaces_stops_the_worker_with_one_configuration_line()
    {
        using var key = RSA.Create(2048);
        var (exit, output, error) = await RunAsync(new()
        {
            ["REDIS_URL"] = "garbage with spaces",
            ["OLLAMA_API_KEY"] = "test-key",
            ["GITHUB_APP_ID"] = "1",
            ["GITHUB_APP_PRIVATE_KEY"] = key.ExportRSAPrivateKeyPem(),
        });

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(output, Has.None.Contains("garbage"), "never echoes the value (it may hold a password)");
            Assert.That(error, Is.EqualTo(new[] { "runner: configuration error: REDIS_URL is not host:port or a redis:// URL" }));
        });
    }

    [TestCase("garbage with spaces")]
    [TestCase("password@cache:6379")]
    [TestCase("cache:port")]
    public void Redis_url_rejects_what_no_resolver_accepts(string value) =>
        Assert.That(RedisUrl.TryParse(value, out _, out _), Is.False);

    [TestCase("cache:6379")]
    [TestCase("redis-0.redis.default.svc.cluster.local")]
    [TestCase("127.0.0.1:6380")]
    [TestCase("[::1]:6379")]
    public void Redis_url_still_accepts_host_names_and_addresses(string value) =>
        Assert.That(RedisUrl.TryParse(value, out _, out var error), Is.True, error);

    [Test]
    public async Task Dead_replay_of_an_id_that_is_not_a_stream_id_says_there_is_no_such_entry()
    {
        var (exit, output, error) = await RunAsync(new() { ["REDIS_URL"] = Redis.Url }, "dead", "replay", "nosuchid");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(output, Is.Empty);
            Assert.That(error, Is.EqualTo(new[] { "runner: dead replay: no dead entry nosuchid" }));
        });
    }

    [Test]
    public async Task Github_check_with_bad_configuration_exits_1_like_every_verb()
    {
        var (exit, _, error) = await RunAsync([], "github", "check");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(error, Has.Count.EqualTo(1));
            Assert.That(error.Single(), Does.StartWith("runner: configuration error: "));
        });
    }

    [Test]
    public async Task Enqueue_refuses_json_that_is_not_an_object()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "[1,2]");
            var (exit, _, error) = await RunAsync(new() { ["REDIS_URL"] = Redis.Url }, "enqueue", "issues", file);

            Assert.Multiple(() =>
            {
                Assert.That(exit, Is.EqualTo(1));
                Assert.That(error, Is.EqualTo(new[] { $"runner: enqueue: {file} must hold a JSON object (the webhook body), not a JSON array" }));
            });
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void A_payload_that_is_json_but_not_an_object_is_dead_lettered_as_not_an_object()
    {
        var entry = new StreamEntry("1-0", [new("event", "issues"), new("delivery", "d-1"), new("payload", "[1,2]")]);

        Assert.That(JobParser.Parse(entry).Error, Is.EqualTo("malformed entry: field 'payload' must be a JSON object (the webhook body)"));
    }

    private static async Task<(int Exit, List<string> Output, List<string> Error)> RunAsync(
        Dictionary<string, string> environment, params string[] arguments)
    {
        using var runner = RunnerProcess.Start(environment, arguments);
        var exit = await runner.WaitForExitAsync(ExitTimeout);
        return (exit, [.. runner.Output.Where(l => l.Length > 0)], [.. runner.Error.Where(l => l.Length > 0)]);
    }

    /// <summary>A loopback port that refuses connections: bound once (so it was free), then closed.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
