using System.Diagnostics.Metrics;
using Octokit;
using Runner.Core.GitHub;
using Runner.Core.Queue;

namespace Runner.Tests.GitHub;

/// <summary>Every limit branch of the pipeline, on the fake clock: the test advances exactly the wait the code asked for.</summary>
public sealed class RateLimitTests
{
    private const string IssuePath = "repos/octo-org/hello/issues/1";
    private const string SecondaryBody = """{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}""";

    [Test]
    public async Task Retry_after_comes_first_even_when_the_primary_limit_is_also_exhausted()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        context.StandIn.Enqueue("GET", IssuePath, 429, """{"message":"slow down"}""",
            ("retry-after", "30"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", context.StandIn.Unix(TimeSpan.FromMinutes(10))));

        var call = client.Issue.Get("octo-org", "hello", 1);
        var waited = await context.Clock.AdvanceNextTimerAsync();
        var issue = await call;

        Assert.That(waited, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(issue.Number, Is.EqualTo(1));
        AssertSpacing(context.StandIn.RequestsTo("GET", "/" + IssuePath), TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task Exhausted_primary_limit_waits_until_x_ratelimit_reset()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        context.StandIn.Enqueue("GET", IssuePath, 403, """{"message":"API rate limit exceeded for installation ID 4711."}""",
            ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", context.StandIn.Unix(TimeSpan.FromSeconds(90))));

        var call = client.Issue.Get("octo-org", "hello", 1);
        var waited = await context.Clock.AdvanceNextTimerAsync();
        await call;

        Assert.That(waited, Is.EqualTo(TimeSpan.FromSeconds(91)), "until the reset, plus a second because the header has whole seconds");
        AssertSpacing(context.StandIn.RequestsTo("GET", "/" + IssuePath), TimeSpan.FromSeconds(91));
    }

    [Test]
    public async Task Secondary_limit_403_waits_a_minute_then_doubles_and_starts_over_after_a_success()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        context.StandIn.Enqueue("GET", IssuePath, 403, SecondaryBody);
        context.StandIn.Enqueue("GET", IssuePath, 403, SecondaryBody);

        var call = client.Issue.Get("octo-org", "hello", 1);
        var first = await context.Clock.AdvanceNextTimerAsync();
        var second = await context.Clock.AdvanceNextTimerAsync();
        await call;

        context.StandIn.Enqueue("GET", IssuePath, 403, SecondaryBody);
        var again = client.Issue.Get("octo-org", "hello", 1);
        var afterSuccess = await context.Clock.AdvanceNextTimerAsync();
        await again;

        Assert.That(new[] { first, second, afterSuccess },
            Is.EqualTo(new[] { TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(60) }));
        Assert.That(context.StandIn.RequestsTo("GET", "/" + IssuePath), Has.Count.EqualTo(5));
    }

    [Test]
    public async Task Plain_429_without_headers_is_treated_as_a_secondary_limit()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        context.StandIn.Enqueue("GET", IssuePath, 429, """{"message":"Too Many Requests"}""");

        var call = client.Issue.Get("octo-org", "hello", 1);
        var waited = await context.Clock.AdvanceNextTimerAsync();

        Assert.That((await call).Number, Is.EqualTo(1), "Octokit alone would have thrown a plain ApiException");
        Assert.That(waited, Is.EqualTo(TimeSpan.FromSeconds(60)));
    }

    [Test]
    public async Task A_wait_longer_than_two_minutes_hands_the_job_back_with_RetryAfter_and_blocks_the_scope()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        context.StandIn.Enqueue("GET", IssuePath, 403, """{"message":"API rate limit exceeded"}""",
            ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", context.StandIn.Unix(TimeSpan.FromHours(1))));

        var exception = GitHubAssert.ThrowsTransientAsync(() => client.Issue.Get("octo-org", "hello", 1));
        var next = GitHubAssert.ThrowsTransientAsync(() => client.Issue.Get("octo-org", "hello", 2));

        Assert.Multiple(() =>
        {
            Assert.That(exception!.RetryAfter, Is.EqualTo(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1)));
            Assert.That(exception.Message, Does.Contain("GET /api/v3/repos/octo-org/hello/issues/1").And.Contain("octo-org/hello").And.Contain("403"));
            Assert.That(context.Clock.TimerStarted, Is.False, "a long wait is never slept in the worker slot");
            Assert.That(next!.RetryAfter, Is.EqualTo(exception.RetryAfter), "later requests of the installation fail fast");
            Assert.That(context.StandIn.RequestsTo("GET", "/issues/2"), Is.Empty, "and are not sent into a known limit");
        });
    }

    [Test]
    public async Task Secondary_backoff_beyond_the_maximum_wait_is_handed_back()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        for (var i = 0; i < 3; i++)
        {
            context.StandIn.Enqueue("GET", IssuePath, 403, SecondaryBody);
        }

        var call = client.Issue.Get("octo-org", "hello", 1);
        await context.Clock.AdvanceNextTimerAsync();
        await context.Clock.AdvanceNextTimerAsync();
        var exception = GitHubAssert.ThrowsTransientAsync(() => call);

        Assert.That(exception!.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(240)));
        Assert.That(exception.Message, Does.Contain("secondary rate limit"));
    }

    [Test]
    public async Task GITHUB_MAX_WAIT_raises_the_longest_wait_slept_in_place()
    {
        await using var context = await GitHubTestContext.StartAsync(s => s[GitHubOptions.MaxWaitVariable] = "10m");
        var client = await context.ClientAsync();
        context.StandIn.Enqueue("GET", IssuePath, 403, """{"message":"API rate limit exceeded"}""",
            ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", context.StandIn.Unix(TimeSpan.FromMinutes(5))));

        var call = client.Issue.Get("octo-org", "hello", 1);
        var waited = await context.Clock.AdvanceNextTimerAsync();
        await call;

        Assert.That(waited, Is.EqualTo(TimeSpan.FromSeconds(301)));
    }

    [Test]
    public async Task Endless_short_retry_afters_give_up_after_four_retries()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        for (var i = 0; i < 6; i++)
        {
            context.StandIn.Enqueue("GET", IssuePath, 429, """{"message":"slow down"}""", ("retry-after", "1"));
        }

        var call = client.Issue.Get("octo-org", "hello", 1);
        for (var i = 0; i < GitHubRateLimitHandler.MaxLimitRetries; i++)
        {
            await context.Clock.AdvanceNextTimerAsync();
        }

        var exception = GitHubAssert.ThrowsTransientAsync(() => call);
        Assert.That(exception!.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(context.StandIn.RequestsTo("GET", "/" + IssuePath), Has.Count.EqualTo(GitHubRateLimitHandler.MaxLimitRetries + 1));
    }

    [Test]
    public async Task Last_request_of_the_hour_holds_the_next_one_until_the_reset()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        context.StandIn.RateLimitRemaining = 0;
        context.StandIn.RateLimitResetIn = TimeSpan.FromSeconds(45);
        await client.Issue.Get("octo-org", "hello", 1);

        context.StandIn.RateLimitRemaining = 4999;
        var next = client.Issue.Get("octo-org", "hello", 2);
        var waited = await context.Clock.AdvanceNextTimerAsync();
        await next;

        Assert.That(waited, Is.EqualTo(TimeSpan.FromSeconds(46)), "waited before sending instead of spending a 403");
        Assert.That(context.StandIn.RequestsTo("GET", "/issues/2"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task One_installations_limit_does_not_hold_back_another_installation()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var blocked = await context.ClientAsync();
        var other = await context.ClientAsync(installationId: GitHubTestContext.InstallationId + 1, repository: new RepositoryRef("alice", "dotfiles"));
        context.StandIn.Enqueue("GET", IssuePath, 403, """{"message":"API rate limit exceeded"}""",
            ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", context.StandIn.Unix(TimeSpan.FromHours(1))));
        GitHubAssert.ThrowsTransientAsync(() => blocked.Issue.Get("octo-org", "hello", 1));

        var issue = await other.Issue.Get("alice", "dotfiles", 3);

        Assert.That(issue.Number, Is.EqualTo(3));
    }

    [Test]
    public async Task Token_exchange_goes_through_the_same_limit_handling()
    {
        await using var context = await GitHubTestContext.StartAsync();
        context.StandIn.Enqueue("POST", "app/installations/4711/access_tokens", 429, """{"message":"slow down"}""", ("retry-after", "20"));

        var creating = context.ClientAsync();
        var waited = await context.Clock.AdvanceNextTimerAsync();
        await creating;

        Assert.That(waited, Is.EqualTo(TimeSpan.FromSeconds(20)));
        Assert.That(context.StandIn.IssuedTokens, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Forbidden_without_a_limit_signal_is_not_retried_and_is_permanent()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync(GitHubPermissions.ReadOnly);

        var exception = GitHubAssert.ThrowsPermanentAsync(() => GitHubAssert.RunAsync("comment on #1", GitHubTestContext.Repository,
            () => client.Issue.Comment.Create("octo-org", "hello", 1, "hi")));

        Assert.That(exception!.Message, Is.EqualTo(
            "GitHub comment on #1 for octo-org/hello answered 403 Forbidden: Resource not accessible by integration"));
        Assert.That(exception.InnerException, Is.InstanceOf<ForbiddenException>());
        Assert.That(context.StandIn.RequestsTo("POST", "/comments"), Has.Count.EqualTo(1));
    }

    [TestCase(404, typeof(NotFoundException))]
    [TestCase(422, typeof(ApiValidationException))]
    public async Task Not_found_and_validation_errors_reach_Octokit_unretried_and_map_to_permanent(int status, Type octokitException)
    {
        await using var context = await GitHubTestContext.StartAsync();
        var client = await context.ClientAsync();
        context.StandIn.Enqueue("POST", "repos/octo-org/hello/issues/1/comments", status, """{"message":"no such thing"}""");

        var raw = Assert.CatchAsync(() => client.Issue.Comment.Create("octo-org", "hello", 1, "hi"));
        var mapped = GitHubErrors.FromOctokit(raw!, "comment on #1", GitHubTestContext.Repository, TimeProvider.System);

        Assert.That(raw, Is.InstanceOf(octokitException));
        Assert.That(mapped, Is.InstanceOf<GitHubException>().With.Property(nameof(GitHubException.IsTransient)).False);
        Assert.That(mapped.Message, Does.StartWith($"GitHub comment on #1 for octo-org/hello answered {status}"));
        Assert.That(context.StandIn.RequestsTo("POST", "/comments"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Cancelling_the_token_the_client_was_created_with_ends_a_limit_wait()
    {
        await using var context = await GitHubTestContext.StartAsync();
        using var job = new CancellationTokenSource();
        var client = await context.Factory.CreateForRepositoryAsync(GitHubTestContext.Repository, GitHubTestContext.InstallationId,
            GitHubPermissions.IssueWriter, job.Token);
        context.StandIn.Enqueue("GET", IssuePath, 429, """{"message":"slow down"}""", ("retry-after", "90"));

        var call = client.Issue.Get("octo-org", "hello", 1);
        await context.Clock.NextTimerAsync();
        await job.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(context.StandIn.RequestsTo("GET", "/" + IssuePath), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Remaining_requests_are_recorded_in_the_gauge()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var recorded = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, context.Metrics.GitHubRateLimitRemaining))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => recorded.Add(value));
        listener.Start();
        var client = await context.ClientAsync();
        context.StandIn.RateLimitRemaining = 1234;

        await client.Issue.Get("octo-org", "hello", 1);

        Assert.That(recorded, Does.Contain(1234L));
    }

    private static void AssertSpacing(IReadOnlyList<SeenRequest> requests, TimeSpan expected)
    {
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(requests[1].At - requests[0].At, Is.EqualTo(expected));
    }
}
