using System.Net;
using System.Text;
using System.Text.Json;
using Runner.Webhook;
using StackExchange.Redis;

namespace Runner.Tests.Ops;

/// <summary>The built binary, started the way the container starts it.</summary>
public sealed class RunnerProcessTests : LocalRedisFixture
{
    private const string WebhookSecret = "webhook-SECRET-never-logged-4711";
    private const string OllamaKey = "sk-OLLAMA-never-logged-0815";
    private const string PrivateKey = "-----BEGIN RSA PRIVATE KEY-----\nMIIE-never-logged-key-body\n-----END RSA PRIVATE KEY-----";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Webhook_with_json_logs_writes_one_json_object_per_line_leaks_no_secret_and_exits_0_on_sigterm()
    {
        using var runner = RunnerProcess.Start(new Dictionary<string, string>
        {
            ["REDIS_URL"] = Redis.Url,
            ["GITHUB_WEBHOOK_SECRET"] = WebhookSecret,
            ["OLLAMA_API_KEY"] = OllamaKey,
            ["GITHUB_APP_PRIVATE_KEY"] = PrivateKey,
            ["RUNNER_WEBHOOK_URLS"] = "http://127.0.0.1:0",
            ["RUNNER_LOG_FORMAT"] = "json",
        }, "webhook");

        var listening = await runner.WaitForOutputAsync(line => line.Contains("Now listening on", StringComparison.Ordinal), StartTimeout);
        using (var document = JsonDocument.Parse(listening))
        {
            var address = new Uri(document.RootElement.GetProperty("address").GetString()!);
            using var client = new HttpClient { BaseAddress = address };
            var body = Encoding.UTF8.GetBytes("""{"action":"opened","repository":{"full_name":"octo/demo"}}""");
            using var request = new HttpRequestMessage(HttpMethod.Post, "webhook") { Content = new ByteArrayContent(body) };
            request.Headers.Add(WebhookReceiver.EventHeader, "issues");
            request.Headers.Add(WebhookReceiver.DeliveryHeader, "process-test");
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(WebhookSecret, body));
            using var response = await client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        }

        await runner.WaitForOutputAsync(line => line.Contains("\"Delivery\":\"process-test\"", StringComparison.Ordinal), StartTimeout);
        await runner.TerminateAsync();
        var exit = await runner.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.That(exit, Is.Zero, runner.AllText);
        Assert.That(runner.Error, Is.Empty);
        var events = runner.Output.Where(line => line.Length > 0).Select(ParseObject).ToList();
        Assert.That(events, Has.Count.GreaterThanOrEqualTo(4));
        Assert.That(events, Has.All.Matches<JsonElement>(e => e.TryGetProperty("@t", out _) && e.TryGetProperty("@mt", out _)));
        var banner = events.Single(e => e.TryGetProperty("Mode", out var mode) && mode.GetString() == "webhook");
        Assert.That(banner.GetProperty("Configuration").GetString(), Does.Contain("GITHUB_WEBHOOK_SECRET").And.Contain("= set"));
        Assert.That(runner.AllText, Does.Not.Contain(WebhookSecret).And.Not.Contain(OllamaKey).And.Not.Contain("never-logged-key-body"));
    }

    [Test]
    public async Task Webhook_without_its_secret_exits_1_with_one_line_naming_the_variable()
    {
        using var runner = RunnerProcess.Start(new Dictionary<string, string> { ["REDIS_URL"] = Redis.Url }, "webhook");

        var exit = await runner.WaitForExitAsync(StartTimeout);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(runner.Error.Single(), Does.StartWith("runner: configuration error: GITHUB_WEBHOOK_SECRET"));
    }

    [Test]
    public async Task Bad_log_level_is_one_configuration_line_that_does_not_repeat_secrets()
    {
        using var runner = RunnerProcess.Start(new Dictionary<string, string>
        {
            ["REDIS_URL"] = Redis.Url,
            ["GITHUB_WEBHOOK_SECRET"] = WebhookSecret,
            ["RUNNER_LOG_LEVEL"] = "loud",
            ["RUNNER_LOG_FORMAT"] = "xml",
        }, "webhook");

        var exit = await runner.WaitForExitAsync(StartTimeout);

        Assert.That(exit, Is.EqualTo(1));
        var line = runner.Error.Single();
        Assert.That(line, Does.StartWith("runner: configuration error: ").And.Contain("RUNNER_LOG_LEVEL must be").And.Contain("RUNNER_LOG_FORMAT must be"));
        Assert.That(runner.AllText, Does.Not.Contain(WebhookSecret));
    }

    [Test]
    public async Task Health_verb_exits_1_before_the_group_exists_and_0_after()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Redis.HostPort);
        var stream = $"health:{Guid.NewGuid():N}";
        var environment = new Dictionary<string, string> { ["REDIS_URL"] = Redis.Url, ["RUNNER_STREAM"] = stream };

        using var before = RunnerProcess.Start(environment, "health");
        var beforeExit = await before.WaitForExitAsync(StartTimeout);
        await connection.GetDatabase().StreamCreateConsumerGroupAsync(stream, "runner", "0", createStream: true);
        using var after = RunnerProcess.Start(environment, "health");
        var afterExit = await after.WaitForExitAsync(StartTimeout);

        Assert.That(beforeExit, Is.EqualTo(1), before.AllText);
        Assert.That(before.Error.Single(), Does.StartWith("runner health: stream"));
        Assert.That(afterExit, Is.Zero, after.AllText);
        Assert.That(after.Output.Single(), Does.StartWith("ok: "));
    }

    private static JsonElement ParseObject(string line)
    {
        using var document = JsonDocument.Parse(line);
        Assert.That(document.RootElement.ValueKind, Is.EqualTo(JsonValueKind.Object), line);
        return document.RootElement.Clone();
    }
}
