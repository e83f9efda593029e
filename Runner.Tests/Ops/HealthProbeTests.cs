using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Runner.Cli;
using Runner.Core.Redis;
using Runner.Hosting;
using StackExchange.Redis;

namespace Runner.Tests.Ops;

/// <summary><c>runner health</c>: what Docker's HEALTHCHECK and the Kubernetes probes run.</summary>
public sealed class HealthProbeTests
{
    private LocalRedisServer redis = null!;
    private ConnectionMultiplexer connection = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        redis = await LocalRedisServer.StartAsync();
        connection = await ConnectionMultiplexer.ConnectAsync(redis.HostPort);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await connection.DisposeAsync();
        await redis.DisposeAsync();
    }

    [SetUp]
    public Task ClearAsync() => connection.GetDatabase().KeyDeleteAsync(["runner:jobs", "other:jobs"]);

    [Test]
    public async Task Exit_0_with_one_line_when_redis_answers_and_the_group_exists()
    {
        await connection.GetDatabase().StreamCreateConsumerGroupAsync("runner:jobs", "runner", "0", createStream: true);

        var (exit, output, error) = await CheckAsync(redis.Url);

        Assert.That(exit, Is.Zero, error);
        Assert.That(output.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(output, Does.StartWith("ok: redis 127.0.0.1:").And.Contains("group runner on runner:jobs"));
    }

    [Test]
    public async Task Exit_1_when_the_stream_does_not_exist()
    {
        var (exit, _, error) = await CheckAsync(redis.Url);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.Contain("stream runner:jobs does not exist"));
    }

    [Test]
    public async Task Exit_1_when_the_stream_exists_without_the_group()
    {
        await connection.GetDatabase().StreamAddAsync("runner:jobs", "event", "issues");
        await connection.GetDatabase().StreamCreateConsumerGroupAsync("runner:jobs", "someone-else", "0");

        var (exit, _, error) = await CheckAsync(redis.Url);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.Contain("consumer group runner does not exist"));
    }

    [Test]
    public async Task Reads_stream_and_group_names_from_the_configuration()
    {
        await connection.GetDatabase().StreamCreateConsumerGroupAsync("other:jobs", "workers", "0", createStream: true);

        var (exit, output, error) = await CheckAsync(redis.Url, ("RUNNER_STREAM", "other:jobs"), ("RUNNER_GROUP", "workers"));

        Assert.That(exit, Is.Zero, error);
        Assert.That(output, Does.Contain("group workers on other:jobs"));
    }

    [Test]
    public async Task Exit_1_at_once_when_nothing_listens()
    {
        var (exit, _, error) = await CheckAsync($"redis://127.0.0.1:{ClosedLoopbackPort()}");

        // "connection refused" comes only from the plain TCP check, which needs no timeout; the client's own path
        // could only say "no answer within …" once the whole timeout had passed.
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.StartWith("runner health: redis 127.0.0.1:").And.Contains("unavailable: connection refused"));
    }

    [Test]
    public async Task Queue_settings_the_worker_refuses_are_refused_in_the_same_words_on_one_line()
    {
        var (exit, output, error) = await CheckAsync(redis.Url, ("RUNNER_STREAM", " "), ("RUNNER_CLAIM_IDLE", "banana"));

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.StartWith("runner health: ").And.Contain("RUNNER_STREAM must not be empty").And.Contain("RUNNER_CLAIM_IDLE"));
    }

    [Test]
    public async Task Bad_redis_url_is_one_line_without_the_password()
    {
        var (exit, _, error) = await CheckAsync("redis://user:hunter2@cache:6379/banana");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.Contain("REDIS_URL").And.Not.Contain("hunter2"));
    }

    [Test]
    public async Task Unreachable_redis_with_a_password_does_not_print_it()
    {
        var (_, output, error) = await CheckAsync($"redis://user:hunter2@127.0.0.1:{ClosedLoopbackPort()}");

        Assert.That(output + error, Does.Not.Contain("hunter2"));
    }

    [Test]
    public async Task Webhook_probe_is_0_against_a_live_receiver_and_1_against_a_closed_port()
    {
        await using var server = await WebhookServer.StartAsync(redis.Url);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var live = await HealthProbe.CheckHttpAsync(new Uri(server.BaseAddress, "healthz"), output, error, TimeSpan.FromSeconds(3), CancellationToken.None);
        var closed = await HealthProbe.CheckHttpAsync(new Uri($"http://127.0.0.1:{ClosedLoopbackPort()}/healthz"), output, error, TimeSpan.FromSeconds(3), CancellationToken.None);

        Assert.That(live, Is.Zero, error.ToString());
        Assert.That(closed, Is.EqualTo(1));
    }

    [Test]
    public async Task Bad_timeout_option_is_a_usage_error_with_one_line()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.That(await OpsCommands.RunHealthAsync(webhook: false, "banana", output, error, CancellationToken.None), Is.EqualTo(ExitCodes.Usage));
        Assert.That(error.ToString(), Does.StartWith("runner health: --timeout"));
    }

    private static async Task<(int Exit, string Output, string Error)> CheckAsync(string redisUrl, params (string Key, string Value)[] settings)
    {
        var values = settings.ToDictionary(s => s.Key, s => (string?)s.Value);
        values["REDIS_URL"] = redisUrl;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await HealthProbe.CheckQueueAsync(configuration, output, error, TimeSpan.FromSeconds(2), CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }

    internal static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
