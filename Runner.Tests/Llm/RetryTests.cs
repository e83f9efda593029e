using System.Globalization;
using Runner.Core.Llm;
using Runner.Core.Llm.RateLimiting;

namespace Runner.Tests.Llm;

/// <summary>The retry promises of issue 5: what is retried, how long the client waits, and how it gives up.</summary>
public sealed class RetryTests : FakeLlmServerFixture
{
    [TestCase(408)]
    [TestCase(409)]
    [TestCase(429)]
    [TestCase(500)]
    [TestCase(502)]
    [TestCase(503)]
    [TestCase(504)]
    [TestCase(529)]
    public async Task Retryable_status_is_retried_after_a_jittered_one_second_backoff(int status)
    {
        Server.Then(Replies.Error(status, "try again"), Replies.Text("ok"));
        await using var harness = LlmHarness.Create(Server.NativeUrl);

        var result = await harness.AskAsync();

        Assert.That(result.Content, Is.EqualTo("ok"));
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(2));
        var backoff = harness.PausesOf(LlmPauseKind.Backoff).Single();
        Assert.That(backoff, Is.InRange(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1)), "equal jitter on the 1 s step");
    }

    [Test]
    public async Task Five_failures_end_in_one_exception_with_attempts_last_status_and_reason()
    {
        for (var i = 0; i < 5; i++)
        {
            Server.Then(Replies.Error(503, $"server overloaded #{i + 1}"));
        }

        await using var harness = LlmHarness.Create(Server.NativeUrl);

        var exception = Assert.ThrowsAsync<LlmTransientException>(() => harness.AskAsync());

        Assert.Multiple(() =>
        {
            Assert.That(exception!.Message, Does.StartWith("Failed to call LLM API after 5 attempts"));
            Assert.That(exception.Message, Does.Contain("503").And.Contain("server overloaded #5"));
            Assert.That(exception.Kind, Is.EqualTo(LlmFailureKind.RetriesExhausted));
            Assert.That(exception.Attempts, Is.EqualTo(5));
            Assert.That(exception.StatusCode, Is.EqualTo(503));
            Assert.That(Server.ChatRequests, Has.Count.EqualTo(5));
        });
        var backoffs = harness.PausesOf(LlmPauseKind.Backoff);
        Assert.That(backoffs, Has.Count.EqualTo(4));
        for (var i = 0; i < backoffs.Count; i++)
        {
            var ceiling = TimeSpan.FromSeconds(Math.Pow(2, i));
            Assert.That(backoffs[i], Is.InRange(ceiling / 2, ceiling), $"backoff {i + 1} of 1, 2, 4, 8 s with equal jitter");
        }
    }

    [Test]
    public async Task Every_attempt_logs_its_number_status_delay_model_and_duration_and_never_the_key()
    {
        Server.Then(Replies.Error(502, "bad gateway"), Replies.Error(503, "busy"), Replies.Text("ok"));
        await using var harness = LlmHarness.Create(Server.NativeUrl);

        await harness.AskAsync();

        var attempts = harness.Logs.Attempts().ToList();
        Assert.That(attempts, Has.Count.EqualTo(3));
        Assert.Multiple(() =>
        {
            Assert.That(attempts.Select(a => a.Properties()["Attempt"]), Is.EqualTo(new[] { "1", "2", "3" }));
            Assert.That(attempts.Select(a => a.Properties()["MaxAttempts"]), Is.All.EqualTo("5"));
            Assert.That(attempts.Select(a => a.Properties()["Model"]), Is.All.EqualTo("glm-4.6"));
            Assert.That(attempts.All(a => a.Properties().ContainsKey("DurationMs")), Is.True);
            Assert.That(attempts[0].Message, Does.Contain("1/5").And.Contain("502").And.Contain("retrying"));
            Assert.That(attempts[1].Message, Does.Contain("2/5").And.Contain("503"));
            Assert.That(long.Parse(attempts[0].Properties()["DelayMs"]!, CultureInfo.InvariantCulture), Is.InRange(500L, 1000L));
            Assert.That(long.Parse(attempts[1].Properties()["DelayMs"]!, CultureInfo.InvariantCulture), Is.InRange(1000L, 2000L));
            Assert.That(attempts[2].Message, Does.Contain("3/5").And.Contain("ok"));
            Assert.That(harness.Logs.GetSnapshot().Select(e => e.Message), Has.None.Contains(LlmHarness.ApiKey));
        });
    }

    [TestCase(400)]
    [TestCase(403)]
    [TestCase(404)]
    [TestCase(405)]
    [TestCase(413)]
    [TestCase(422)]
    public async Task Client_errors_are_not_retried(int status)
    {
        Server.Then(Replies.Error(status, "nope"));
        await using var harness = LlmHarness.Create(Server.OpenAiUrl);

        var exception = Assert.ThrowsAsync<LlmPermanentException>(() => harness.AskAsync());

        Assert.That(exception!.StatusCode, Is.EqualTo(status));
        Assert.That(exception.Message, Does.Contain("nope"));
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(1));
        Assert.That(harness.PausesOf(LlmPauseKind.Backoff), Is.Empty);
    }

    [Test]
    public async Task Unauthorized_is_permanent_says_check_OLLAMA_API_KEY_and_never_repeats_the_key()
    {
        Server.Then(Replies.Error(401, $"invalid key {LlmHarness.ApiKey}"));
        await using var harness = LlmHarness.Create(Server.NativeUrl);

        var exception = Assert.ThrowsAsync<LlmPermanentException>(() => harness.AskAsync());

        Assert.Multiple(() =>
        {
            Assert.That(exception!.Kind, Is.EqualTo(LlmFailureKind.Unauthorized));
            Assert.That(exception.Message, Does.Contain("check OLLAMA_API_KEY").And.Not.Contain(LlmHarness.ApiKey));
            Assert.That(Server.ChatRequests, Has.Count.EqualTo(1));
            Assert.That(harness.Logs.Attempts().Single().Message, Does.Contain("check OLLAMA_API_KEY"));
            Assert.That(harness.Logs.GetSnapshot().Select(e => e.Message), Has.None.Contains(LlmHarness.ApiKey));
        });
    }

    [Test]
    public async Task Model_not_found_names_the_model_the_url_and_the_models_command()
    {
        Server.Then(Replies.Error(404, "model 'glm-9' not found"));
        await using var harness = LlmHarness.Create(Server.NativeUrl, new Dictionary<string, string?> { ["OLLAMA_MODEL"] = "glm-9" });

        var exception = Assert.ThrowsAsync<LlmPermanentException>(() => harness.AskAsync());

        Assert.Multiple(() =>
        {
            Assert.That(exception!.Kind, Is.EqualTo(LlmFailureKind.ModelNotFound));
            Assert.That(exception.Message, Does.Contain("'glm-9'"));
            Assert.That(exception.Message, Does.Contain(Server.NativeUrl + "/chat"));
            Assert.That(exception.Message, Does.Contain("runner llm models"));
        });
    }

    [Test]
    public async Task Retry_after_seconds_replaces_the_computed_backoff()
    {
        Server.Then(Replies.Error(429, "slow down", ("Retry-After", "7")), Replies.Text("ok"));
        await using var harness = LlmHarness.Create(Server.NativeUrl);

        await harness.AskAsync();

        Assert.That(harness.PausesOf(LlmPauseKind.RetryAfter), Is.EqualTo(new[] { TimeSpan.FromSeconds(7) }));
        Assert.That(harness.PausesOf(LlmPauseKind.Backoff), Is.Empty);
    }

    [Test]
    public async Task Retry_after_http_date_is_honoured_relative_to_the_clock()
    {
        await using var harness = LlmHarness.Create(Server.NativeUrl);
        Server.Then(
            (context, dialect) => Replies.Error(503, "maintenance",
                ("Retry-After", (harness.Time.GetUtcNow() + TimeSpan.FromSeconds(10)).ToString("R")))(context, dialect),
            Replies.Text("ok"));

        await harness.AskAsync();

        var wait = harness.PausesOf(LlmPauseKind.RetryAfter).Single();
        Assert.That(wait, Is.InRange(TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10)));
    }

    [Test]
    public async Task Retry_after_ms_is_honoured_and_wins_over_retry_after()
    {
        Server.Then(Replies.Error(429, "slow down", ("Retry-After", "30"), ("retry-after-ms", "1500")), Replies.Text("ok"));
        await using var harness = LlmHarness.Create(Server.OpenAiUrl);

        await harness.AskAsync();

        Assert.That(harness.PausesOf(LlmPauseKind.RetryAfter), Is.EqualTo(new[] { TimeSpan.FromMilliseconds(1500) }));
    }

    [Test]
    public async Task Retry_after_longer_than_sixty_seconds_fails_fast_as_rate_limited_with_retry_after()
    {
        Server.Then(Replies.Error(429, "slow down", ("Retry-After", "120")));
        await using var harness = LlmHarness.Create(Server.NativeUrl);

        var exception = Assert.ThrowsAsync<LlmTransientException>(() => harness.AskAsync());

        Assert.Multiple(() =>
        {
            Assert.That(exception!.Kind, Is.EqualTo(LlmFailureKind.RateLimited));
            Assert.That(exception.Message, Does.Contain("rate limited for 120 s"));
            Assert.That(exception.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(120)));
            Assert.That(Server.ChatRequests, Has.Count.EqualTo(1));
            Assert.That(harness.PausesOf(LlmPauseKind.RetryAfter), Is.Empty);
        });
    }

    [TestCase("you (alice) have reached your session usage limit, upgrade for higher limits: https://ollama.com/upgrade")]
    [TestCase("you've reached your weekly usage limit, please wait or upgrade to continue")]
    [TestCase("You exceeded your current quota, please check your plan and billing details.")]
    public async Task Quota_exhausted_429_fails_the_job_as_transient_without_more_attempts(string reason)
    {
        Server.Then(Replies.Error(429, reason));
        await using var harness = LlmHarness.Create(Server.NativeUrl);

        var exception = Assert.ThrowsAsync<LlmTransientException>(() => harness.AskAsync());

        Assert.Multiple(() =>
        {
            Assert.That(exception!.Kind, Is.EqualTo(LlmFailureKind.QuotaExceeded));
            Assert.That(exception.Message, Does.Contain(reason[..30]));
            Assert.That(Server.ChatRequests, Has.Count.EqualTo(1));
            Assert.That(harness.PausesOf(LlmPauseKind.Backoff), Is.Empty);
        });
    }

    [Test]
    public async Task Max_attempts_setting_changes_the_number_in_the_final_message()
    {
        Server.Then(Replies.Error(500, "boom"), Replies.Error(500, "boom"));
        await using var harness = LlmHarness.Create(Server.NativeUrl, new Dictionary<string, string?> { ["LLM_MAX_ATTEMPTS"] = "2" });

        var exception = Assert.ThrowsAsync<LlmTransientException>(() => harness.AskAsync());

        Assert.That(exception!.Message, Does.StartWith("Failed to call LLM API after 2 attempts"));
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(2));
    }
}
