using System.Net;
using Microsoft.Extensions.Time.Testing;
using Octokit;
using Runner.Core.Agent;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Queue;

namespace Runner.Tests.GitHub;

public sealed class GitHubErrorsTests
{
    private static readonly RepositoryRef Repository = new("octo-org", "hello");

    private static IEnumerable<TestCaseData> Mappings()
    {
        yield return new TestCaseData(new NotFoundException("Not Found", HttpStatusCode.NotFound), false, "404");
        yield return new TestCaseData(new ApiValidationException(Response(422)), false, "422");
        yield return new TestCaseData(new ForbiddenException(Response(403)), false, "403");
        yield return new TestCaseData(new ApiException("Gone", HttpStatusCode.Gone), false, "410");
        yield return new TestCaseData(new ApiException("Bad Gateway", HttpStatusCode.BadGateway), true, "502");
        yield return new TestCaseData(new ApiException("Too Many", HttpStatusCode.TooManyRequests), true, "429");
        yield return new TestCaseData(new AuthorizationException(Response(401)), true, "401");
        yield return new TestCaseData(new HttpRequestException("Connection refused"), true, "Connection refused");
    }

    [TestCaseSource(nameof(Mappings))]
    public void Classifies_Octokit_failures_naming_operation_repository_and_status(Exception octokit, bool transient, string status)
    {
        var mapped = GitHubErrors.FromOctokit(octokit, "add label", Repository, TimeProvider.System);

        Assert.That(mapped, Is.InstanceOf<GitHubException>());
        Assert.That(((GitHubException)mapped).IsTransient, Is.EqualTo(transient));
        Assert.That(mapped.Message, Does.StartWith("GitHub add label for octo-org/hello").And.Contain(status));
        Assert.That(mapped.InnerException, Is.SameAs(octokit));
    }

    [TestCaseSource(nameof(Mappings))]
    public void The_handler_boundary_turns_them_into_job_outcomes(Exception octokit, bool transient, string status)
    {
        var outcome = JobFailures.ToJobException(octokit, "add label", Repository, TimeProvider.System);

        Assert.That(outcome, transient ? Is.InstanceOf<TransientJobException>() : Is.InstanceOf<PermanentJobException>());
        Assert.That(outcome.Message, Does.Contain(status));
        Assert.That(outcome.InnerException, Is.InstanceOf<GitHubException>());
    }

    [Test]
    public void Primary_limit_that_reached_Octokit_retries_after_the_reset()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 6, 12, 0, 0, TimeSpan.Zero));
        var reset = clock.GetUtcNow().AddMinutes(20).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var limit = new RateLimitExceededException(Response(403, ("X-RateLimit-Limit", "5000"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset)));

        var mapped = JobFailures.ToJobException(limit, "add label", Repository, clock);

        Assert.That(mapped, Is.InstanceOf<TransientJobException>());
        Assert.That(((TransientJobException)mapped).RetryAfter, Is.EqualTo(TimeSpan.FromMinutes(20)));
    }

    [Test]
    public void Llm_failures_keep_their_verdict_and_retry_after_at_the_boundary()
    {
        var throttled = new LlmTransientException(LlmFailureKind.RateLimited, "slow down", 3, 429, TimeSpan.FromSeconds(40));
        var unknownModel = new LlmPermanentException(LlmFailureKind.ModelNotFound, "no such model", 404);

        var retried = JobFailures.ToJobException(throttled, "triage", Repository, TimeProvider.System);
        var dead = JobFailures.ToJobException(unknownModel, "triage", Repository, TimeProvider.System);

        Assert.That(retried, Is.InstanceOf<TransientJobException>());
        Assert.That(((TransientJobException)retried).RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(40)));
        Assert.That(dead, Is.InstanceOf<PermanentJobException>().With.InnerException.SameAs(unknownModel));
    }

    [Test]
    public void Job_exceptions_cancellation_and_unknown_failures_pass_through_unchanged()
    {
        var transient = new TransientJobException("limit", TimeSpan.FromHours(1));
        var cancelled = new OperationCanceledException();
        var bug = new InvalidOperationException("bug");

        Assert.That(JobFailures.ToJobException(transient, "x", Repository, TimeProvider.System), Is.SameAs(transient));
        Assert.That(JobFailures.ToJobException(cancelled, "x", Repository, TimeProvider.System), Is.SameAs(cancelled));
        Assert.That(JobFailures.ToJobException(bug, "x", Repository, TimeProvider.System), Is.SameAs(bug));
    }

    [Test]
    public void Not_found_and_no_access_are_recognised_in_every_shape()
    {
        var notFound = GitHubErrors.ForStatus("GET /contents", "octo-org/hello", HttpStatusCode.NotFound, null, null);

        Assert.Multiple(() =>
        {
            Assert.That(GitHubErrors.IsNotFound(notFound), Is.True);
            Assert.That(GitHubErrors.IsNotFound(new NotFoundException("Not Found", HttpStatusCode.NotFound)), Is.True);
            Assert.That(GitHubErrors.IsNoAccess(notFound), Is.True);
            Assert.That(GitHubErrors.IsNoAccess(new GitHubException("limit", isTransient: true, 403, TimeSpan.FromMinutes(1))), Is.False);
            Assert.That(GitHubErrors.IsNoAccess(new InvalidOperationException("bug")), Is.False);
        });
    }

    private static FakeResponse Response(int status, params (string Name, string Value)[] headers) =>
        new((HttpStatusCode)status, headers.ToDictionary(h => h.Name, h => h.Value));

    /// <summary>Octokit's own Response is internal; its exceptions take any IResponse.</summary>
    private sealed class FakeResponse(HttpStatusCode status, Dictionary<string, string> headers) : IResponse
    {
        public object Body => """{"message":"from GitHub"}""";

        public IReadOnlyDictionary<string, string> Headers => headers;

        public ApiInfo ApiInfo { get; } = new(new Dictionary<string, Uri>(), [], [], string.Empty, new RateLimit(headers));

        public HttpStatusCode StatusCode => status;

        public string ContentType => "application/json";
    }
}
