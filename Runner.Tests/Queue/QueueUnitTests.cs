using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Runner.Core.Queue;
using StackExchange.Redis;

namespace Runner.Tests.Queue;

public sealed class QueueUnitTests
{
    [TestCase(1, 5_000, 10_000)]
    [TestCase(2, 10_000, 20_000)]
    [TestCase(3, 20_000, 40_000)]
    [TestCase(9, 300_000, 600_000)]
    public void Backoff_doubles_per_attempt_with_jitter_and_a_cap(int failedAttempt, double lowMs, double highMs)
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10));
        Assert.That(policy.Delay(failedAttempt, null, 0).TotalMilliseconds, Is.EqualTo(lowMs));
        Assert.That(policy.Delay(failedAttempt, null, 0.999999).TotalMilliseconds, Is.EqualTo(highMs).Within(1));
    }

    [Test]
    public void Retry_after_wins_only_when_longer_than_the_backoff()
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10));
        Assert.That(policy.Delay(1, TimeSpan.FromHours(1), 0.5), Is.EqualTo(TimeSpan.FromHours(1)));
        Assert.That(policy.Delay(1, TimeSpan.FromSeconds(1), 0), Is.EqualTo(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public void Parser_reads_a_valid_entry_and_the_repository()
    {
        var entry = new StreamEntry("1-1",
        [
            new("event", "pull_request"), new("delivery", "abc"), new("payload", """{"repository":{"full_name":"o/r"}}"""),
            new("attempt", "3"), new("enqueued_at", "1700000000000"), new("extra", "ignored"),
        ]);
        var parsed = JobParser.Parse(entry);
        Assert.That(parsed.Error, Is.Null);
        Assert.That(parsed.Job, Is.EqualTo(new Job("1-1", "pull_request", "abc", """{"repository":{"full_name":"o/r"}}""", 3,
            DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000))));
        Assert.That(parsed.Repository, Is.EqualTo("o/r"));
    }

    [TestCase("2025-01-02T03:04:05Z", true)]
    [TestCase("yesterday", false)]
    public void Enqueued_at_accepts_iso_8601_and_ignores_nonsense(string text, bool parsed) =>
        Assert.That(JobParser.ParseEnqueuedAt(text).HasValue, Is.EqualTo(parsed));

    [Test]
    public void Retry_member_encoding_is_byte_exact_and_replaces_the_attempt()
    {
        byte[] binary = [0xff, 0x00, (byte)':', 0x31];
        var fields = RetryMember.WithAttempt([new("event", "issues"), new("attempt", "1"), new("payload", binary)], 2).ToArray();
        Assert.That(fields.Select(f => f.Name.ToString()), Is.EqualTo(new[] { "event", "payload", "attempt" }));
        var member = (byte[])RetryMember.Encode(fields)!;
        Assert.That(member, Is.EqualTo("5:event6:issues7:payload4:"u8.ToArray().Concat(binary).Concat("7:attempt1:2"u8.ToArray())));
    }

    [Test]
    public void Blocking_read_reply_is_parsed_including_deleted_entries()
    {
        var reply = RedisResult.Create(
        [
            RedisResult.Create(
            [
                RedisResult.Create((RedisValue)"runner:jobs"),
                RedisResult.Create(
                [
                    RedisResult.Create([RedisResult.Create((RedisValue)"1-0"), RedisResult.Create(new RedisValue[] { "event", "issues" })]),
                    RedisResult.Create([RedisResult.Create((RedisValue)"2-0"), RedisResult.Create(RedisValue.Null)]),
                ]),
            ]),
        ]);
        var entries = BlockingReader.Parse(reply);
        Assert.That(entries.Select(e => e.Id.ToString()), Is.EqualTo(new[] { "1-0", "2-0" }));
        Assert.That(entries[0].Values.Single(), Is.EqualTo(new NameValueEntry("event", "issues")));
        Assert.That(entries[1].Values, Is.Empty);
        Assert.That(BlockingReader.Parse(RedisResult.Create(RedisValue.Null)), Is.Empty);
    }

    [Test]
    public void Reader_connection_keeps_credentials_and_waits_longer_than_its_block()
    {
        var options = BlockingReader.CreateOptions("cache:6380,password=s3cret,ssl=True", TimeSpan.FromSeconds(5));
        Assert.That(options.Password, Is.EqualTo("s3cret"));
        Assert.That(options.Ssl, Is.True);
        Assert.That(options.AsyncTimeout, Is.GreaterThan(5_000));
    }

    [Test]
    public void Options_are_read_from_runner_variables_with_human_durations()
    {
        var options = Build(new()
        {
            ["RUNNER_STREAM"] = "jobs:x", ["RUNNER_CONCURRENCY"] = "16", ["RUNNER_CLAIM_IDLE"] = "90",
            ["RUNNER_SHUTDOWN_TIMEOUT"] = "10s", ["RUNNER_READ_BLOCK"] = "500ms", ["RUNNER_RETRY_MAX_DELAY"] = "2m",
            ["RUNNER_STREAM_RETAIN"] = "50",
        }).GetRequiredService<IOptions<QueueOptions>>().Value;
        Assert.Multiple(() =>
        {
            Assert.That(options.Stream, Is.EqualTo("jobs:x"));
            Assert.That(options.DeadLetterStream, Is.EqualTo("jobs:x:dead"));
            Assert.That(options.Concurrency, Is.EqualTo(16));
            Assert.That(options.ClaimIdle, Is.EqualTo(TimeSpan.FromSeconds(90)));
            Assert.That(options.ShutdownTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(options.ReadBlock, Is.EqualTo(TimeSpan.FromMilliseconds(500)));
            Assert.That(options.RetryMaxDelay, Is.EqualTo(TimeSpan.FromMinutes(2)));
            Assert.That(options.StreamRetain, Is.EqualTo(50));
        });
    }

    [Test]
    public void Host_shutdown_timeout_leaves_room_for_the_drain()
    {
        var host = Build(new() { ["RUNNER_SHUTDOWN_TIMEOUT"] = "40s" }).GetRequiredService<IOptions<HostOptions>>().Value;
        Assert.That(host.ShutdownTimeout, Is.GreaterThan(TimeSpan.FromSeconds(40)));
    }

    [TestCase("RUNNER_CONCURRENCY", "0", "RUNNER_CONCURRENCY must be between 1 and 1024")]
    [TestCase("RUNNER_MAX_ATTEMPTS", "0", "RUNNER_MAX_ATTEMPTS must be between 1 and 100")]
    [TestCase("RUNNER_CLAIM_IDLE", "10ms", "RUNNER_CLAIM_IDLE must be at least 100ms")]
    [TestCase("RUNNER_CLAIM_IDLE", "soon", "RUNNER_CLAIM_IDLE must be a duration")]
    [TestCase("RUNNER_CONSUMER", " ", "RUNNER_CONSUMER must not be empty")]
    public void Bad_settings_fail_naming_the_variable(string variable, string value, string message)
    {
        var services = Build(new() { [variable] = value });
        var exception = Assert.Throws<OptionsValidationException>(() => _ = services.GetRequiredService<IOptions<QueueOptions>>().Value);
        Assert.That(exception!.Failures, Has.Some.StartsWith(message));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddRunnerQueue(configuration).BuildServiceProvider();
    }
}
