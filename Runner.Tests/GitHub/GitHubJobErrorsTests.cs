using System.Net;
using Microsoft.Extensions.Time.Testing;
using Octokit;
using Runner.Core.GitHub;
using Runner.Core.Queue;

namespace Runner.Tests.GitHub;

public sealed class GitHubJobErrorsTests
{
    private static readonly RepositoryRef Repository = new("octo-org", "hello");

    private static IEnumerable<TestCaseData> Mappings()
    {
        yield return new TestCaseData(new NotFoundException("Not Found", HttpStatusCode.NotFound), typeof(PermanentJobException), "404");
        yield return new TestCaseData(new ApiValidationException(Response(422)), typeof(PermanentJobException), "422");
        yield return new TestCaseData(new ForbiddenException(Response(403)), typeof(PermanentJobException), "403");
        yield return new TestCaseData(new ApiException("Gone", HttpStatusCode.Gone), typeof(PermanentJobException), "410");
        yield return new TestCaseData(new ApiException("Bad Gateway", HttpStatusCode.BadGateway), typeof(TransientJobException), "502");
        yield return new TestCaseData(new ApiException("Too Many", HttpStatusCode.TooManyRequests), typeof(TransientJobException), "429");
        yield return new TestCaseData(new AuthorizationException(Response(401)), typeof(TransientJobException), "401");
        yield return new TestCaseData(new HttpRequestException("Connection refused"), typeof(TransientJobException), "Connection refused");
    }

    [TestCaseSource(nameof(Mappings))]
    public void Maps_Octokit_failures_to_job_exceptions_naming_operation_repository_and_status(Exception octokit, Type expected, string status)
    {
        var mapped = GitHubJobErrors.ToJobException(octokit, "add label", Repository);

        Assert.That(mapped, Is.InstanceOf(expected));
        Assert.That(mapped.Message, Does.StartWith("GitHub add label for octo-org/hello").And.Contain(status));
        Assert.That(mapped.InnerException, Is.SameAs(octokit));
    }

    [Test]
    public void Primary_limit_that_reached_Octokit_retries_after_the_reset()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 6, 12, 0, 0, TimeSpan.Zero));
        var reset = clock.GetUtcNow().AddMinutes(20).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var limit = new RateLimitExceededException(Response(403, ("X-RateLimit-Limit", "5000"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset)));

        var mapped = GitHubJobErrors.ToJobException(limit, "add label", Repository, clock);

        Assert.That(mapped, Is.InstanceOf<TransientJobException>());
        Assert.That(((TransientJobException)mapped).RetryAfter, Is.EqualTo(TimeSpan.FromMinutes(20)));
    }

    [Test]
    public void Job_exceptions_cancellation_and_unknown_failures_pass_through_unchanged()
    {
        var transient = new TransientJobException("limit", TimeSpan.FromHours(1));
        var cancelled = new OperationCanceledException();
        var bug = new InvalidOperationException("bug");

        Assert.That(GitHubJobErrors.ToJobException(transient, "x", Repository), Is.SameAs(transient));
        Assert.That(GitHubJobErrors.ToJobException(cancelled, "x", Repository), Is.SameAs(cancelled));
        Assert.That(GitHubJobErrors.ToJobException(bug, "x", Repository), Is.SameAs(bug));
    }

    [Test]
    public async Task RunAsync_returns_the_result_and_throws_the_mapped_exception()
    {
        Assert.That(await GitHubJobErrors.RunAsync("read", Repository, () => Task.FromResult(42)), Is.EqualTo(42));

        var exception = Assert.ThrowsAsync<PermanentJobException>(() =>
            GitHubJobErrors.RunAsync("read issue #5", Repository, () => Task.FromException(new NotFoundException("Not Found", HttpStatusCode.NotFound))));
        Assert.That(exception!.Message, Does.StartWith("GitHub read issue #5 for octo-org/hello answered 404 Not Found"));
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
