using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Runner.Core.Llm;
using Runner.Core.Llm.RateLimiting;
using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Tests.Llm;

/// <summary>
/// Rate limiting across replicas: two client instances (two DI containers, as two replicas would have) on one
/// real redis-server and one fake clock.
/// </summary>
public sealed class RateLimitTests
{
    private static readonly Dictionary<string, string?> OnePerSecondBurstTwo = new()
    {
        ["LLM_RATE"] = "60",
        ["LLM_BURST"] = "2",
        ["LLM_MIN_INTERVAL"] = "0",
    };

    private LocalRedisServer redis = null!;
    private ConnectionMultiplexer connection = null!;
    private FakeLlmServer server = null!;

    [OneTimeSetUp]
    public async Task StartRedis() => redis = await LocalRedisServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRedis() => await redis.DisposeAsync();

    [SetUp]
    public async Task Connect()
    {
        connection = await ConnectionMultiplexer.ConnectAsync(redis.HostPort + ",allowAdmin=true");
        await connection.GetServer(redis.HostPort).FlushAllDatabasesAsync();
        server = await FakeLlmServer.StartAsync();
    }

    [TearDown]
    public async Task Disconnect()
    {
        await server.DisposeAsync();
        await connection.DisposeAsync();
    }

    [Test]
    public async Task The_token_bucket_is_shared_by_two_replicas_through_redis()
    {
        var clock = new FakeTimeProvider();
        await using var first = LlmHarness.Create(server.NativeUrl, OnePerSecondBurstTwo, connection, clock);
        await using var second = LlmHarness.Create(server.NativeUrl, OnePerSecondBurstTwo, connection, clock);

        await first.AskAsync();
        await second.AskAsync();
        await first.AskAsync();

        Assert.That(second.PausesOf(LlmPauseKind.TokenBucket), Is.Empty);
        var wait = first.PausesOf(LlmPauseKind.TokenBucket).Single();
        Assert.That(wait, Is.InRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.1)),
            "the third request in the same instant finds the shared burst of 2 spent; one token per second at LLM_RATE=60");
        Assert.That(await connection.GetDatabase().KeyExistsAsync("runner:llm:bucket"), Is.True);
    }

    [Test]
    public async Task Without_redis_each_replica_has_its_own_bucket()
    {
        var clock = new FakeTimeProvider();
        await using var first = LlmHarness.Create(server.NativeUrl, OnePerSecondBurstTwo, time: clock);
        await using var second = LlmHarness.Create(server.NativeUrl, OnePerSecondBurstTwo, time: clock);

        await first.AskAsync();
        await second.AskAsync();
        await first.AskAsync();
        await first.AskAsync();

        Assert.That(second.PausesOf(LlmPauseKind.TokenBucket), Is.Empty);
        Assert.That(first.PausesOf(LlmPauseKind.TokenBucket), Has.Count.EqualTo(1), "only the third request of the same replica waits");
    }

    [Test]
    public async Task With_LLM_RATE_unset_there_is_no_bucket()
    {
        await using var harness = LlmHarness.Create(server.NativeUrl, new Dictionary<string, string?> { ["LLM_MIN_INTERVAL"] = "0" }, connection);

        for (var i = 0; i < 5; i++)
        {
            await harness.AskAsync();
        }

        Assert.That(harness.Pauses, Is.Empty);
        Assert.That(await connection.GetDatabase().KeyExistsAsync("runner:llm:bucket"), Is.False);
    }

    [Test]
    public async Task A_429_with_retry_after_pauses_the_other_replica_until_that_moment()
    {
        var clock = new FakeTimeProvider();
        await using var throttled = LlmHarness.Create(server.NativeUrl, redis: connection, time: clock);
        await using var other = LlmHarness.Create(server.NativeUrl, redis: connection, time: clock);
        throttled.AdvanceThroughPauses = false;
        var throttledWaits = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        throttled.Paused += (kind, _) =>
        {
            if (kind == LlmPauseKind.RetryAfter)
            {
                throttledWaits.TrySetResult();
            }
        };
        server.Then(Replies.Error(429, "too many requests", ("Retry-After", "5")));

        var first = throttled.AskAsync();
        await throttledWaits.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var requestsBefore = server.ChatRequests.Count;
        var second = other.AskAsync();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(requestsBefore, Is.EqualTo(1));
            Assert.That(other.PausesOf(LlmPauseKind.FleetPause), Is.EqualTo(new[] { TimeSpan.FromSeconds(5) }),
                "the other replica waits for the Retry-After moment without asking the server");
            Assert.That(throttled.PausesOf(LlmPauseKind.RetryAfter), Is.EqualTo(new[] { TimeSpan.FromSeconds(5) }));
            Assert.That(throttled.PausesOf(LlmPauseKind.FleetPause), Is.Empty, "its own Retry-After wait already covers the pause");
            Assert.That(server.ChatRequests, Has.Count.EqualTo(3));
        });
    }

    [Test]
    public async Task A_fleet_pause_longer_than_sixty_seconds_fails_the_other_replica_fast()
    {
        var clock = new FakeTimeProvider();
        await using var throttled = LlmHarness.Create(server.NativeUrl, redis: connection, time: clock);
        await using var other = LlmHarness.Create(server.NativeUrl, redis: connection, time: clock);
        server.Then(Replies.Error(429, "too many requests", ("Retry-After", "300")));

        Assert.ThrowsAsync<LlmTransientException>(() => throttled.AskAsync());
        var exception = Assert.ThrowsAsync<LlmTransientException>(() => other.AskAsync());

        Assert.That(exception!.Kind, Is.EqualTo(LlmFailureKind.RateLimited));
        Assert.That(exception.Message, Does.Contain("rate limited for 300 s"));
        Assert.That(exception.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(300)));
        Assert.That(server.ChatRequests, Has.Count.EqualTo(1), "the other replica never called the server");
    }

    [Test]
    public async Task When_redis_goes_down_the_bucket_falls_back_to_this_process_and_says_so_once()
    {
        var settings = new Dictionary<string, string?>(OnePerSecondBurstTwo) { ["LLM_BURST"] = "1" };
        await using var harness = LlmHarness.Create(server.NativeUrl, settings, connection);
        await harness.AskAsync();
        Assert.That(harness.Logs.GetSnapshot().Where(e => e.Level == LogLevel.Warning), Is.Empty);

        await redis.KillAsync();
        try
        {
            await WaitUntilAsync(() => !connection.IsConnected);
            await harness.AskAsync();
            await harness.AskAsync();
            await harness.AskAsync();
        }
        finally
        {
            await redis.RestartAsync();
        }

        var warnings = harness.Logs.GetSnapshot().Where(e => e.Message.Contains("Redis is unreachable", StringComparison.Ordinal)).ToList();
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0].Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(harness.PausesOf(LlmPauseKind.TokenBucket), Has.Count.EqualTo(2),
            "the local bucket (burst 1, one per second) makes the 3rd and 4th calls wait");
        Assert.That(server.ChatRequests, Has.Count.EqualTo(4));
    }

    [Test]
    public async Task Consecutive_requests_of_one_process_are_spaced_by_the_minimum_interval_plus_jitter()
    {
        await using var harness = LlmHarness.Create(server.NativeUrl, new Dictionary<string, string?> { ["LLM_MIN_INTERVAL"] = "200ms" });

        for (var i = 0; i < 4; i++)
        {
            await harness.AskAsync();
        }

        var spacing = harness.PausesOf(LlmPauseKind.Spacing);
        Assert.That(spacing, Has.Count.EqualTo(3), "the first request goes at once");
        Assert.That(spacing, Is.All.InRange(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(300)));
    }

    // Real time here: the multiplexer notices a closed socket on its own thread.
    private static Task WaitUntilAsync(Func<bool> condition) =>
        Eventually.HoldsAsync(condition, "the rate limiter condition", TimeSpan.FromSeconds(10));
}
