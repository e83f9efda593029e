using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Runner.Core.Diagnostics;

namespace Runner.Core.GitHub;

/// <summary>
/// The one place that handles GitHub's limits, below Octokit (which never retries and maps 429 to a plain
/// ApiException). Per request: wait out a known block, serialize and space content-creating requests of an
/// installation, set the Authorization header, then on the answer: 401 drops the credential and retries once;
/// a limited 403/429 waits as GitHub documents (retry-after, then x-ratelimit-reset, then a secondary backoff of
/// at least 60 s doubling) and retries; a wait longer than <see cref="GitHubPipelineSettings.MaxWait"/> throws
/// <see cref="GitHubException"/> with <c>RetryAfter</c> so the job goes back to the queue instead of
/// holding a worker slot. Every other answer, 404 and 422 included, goes up to the caller unchanged.
/// </summary>
internal sealed class GitHubRateLimitHandler(
    GitHubRequestScope scope,
    IGitHubCredential credential,
    ScopeLimits limits,
    GitHubPipelineSettings settings,
    TimeProvider timeProvider,
    ILogger logger,
    RunnerMetrics metrics,
    CancellationToken lifetime) : DelegatingHandler
{
    /// <summary>Bounds a run of short waits (e.g. retry-after: 1 answered again and again).</summary>
    internal const int MaxLimitRetries = 4;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Octokit's methods take no CancellationToken: the token the client was created with (the job's) stops
        // its requests and waits, so a shutdown does not sit out a rate-limit wait.
        using var linked = lifetime.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime) : null;
        return await SendWithLimitsAsync(request, linked?.Token ?? cancellationToken);
    }

    private async Task<HttpResponseMessage> SendWithLimitsAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var operation = $"{request.Method} {request.RequestUri?.AbsolutePath}";
        if (request.Content is not null)
        {
            // A retry sends the same message again; a buffered body can be sent twice.
            await request.Content.LoadIntoBufferAsync(cancellationToken);
        }

        using var lane = IsContentCreating(request.Method) && scope.InstallationId is not null
            ? await limits.EnterWriteLaneAsync(settings.WriteInterval, cancellationToken)
            : null;
        var retriedUnauthorized = false;
        for (var attempt = 1; ; attempt++)
        {
            await WaitWhileBlockedAsync(operation, cancellationToken);
            var credentialValue = await credential.GetAsync(cancellationToken);
            Authorize(request, credentialValue);
            var response = await SendOnceAsync(request, operation, cancellationToken);
            RecordRemaining(response);

            if (response.StatusCode == HttpStatusCode.Unauthorized && !retriedUnauthorized)
            {
                retriedUnauthorized = true;
                credential.Reject(credentialValue);
                logger.LogInformation("GitHub answered 401 to {Operation} for {Subject}: retrying once with fresh credentials",
                    operation, scope.Subject);
                response.Dispose();
                continue;
            }

            if (!await GitHubLimits.IsLimitedAsync(response, cancellationToken))
            {
                limits.ClearSecondaryStrikes();
                BlockWhenExhausted(response);
                return response;
            }

            var now = timeProvider.GetUtcNow();
            var hit = GitHubLimits.Classify(response, now, limits.AddSecondaryStrike);
            var status = (int)response.StatusCode;
            response.Dispose();
            limits.BlockUntil(now + hit.Wait);
            if (hit.Wait > settings.MaxWait || attempt > MaxLimitRetries)
            {
                logger.LogWarning(
                    "GitHub {Limit} limit on {Operation} for {Subject} ({Status}): handing the job back, retry in {WaitSeconds} s",
                    hit.Kind, operation, scope.Subject, status, Seconds(hit.Wait));
                throw new GitHubException(
                    $"GitHub {operation} for {scope.Subject} answered {status} ({Describe(hit.Kind)}): retry in {Seconds(hit.Wait)} s",
                    isTransient: true, status, hit.Wait);
            }

            logger.LogWarning(
                "GitHub {Limit} limit on {Operation} for {Subject} ({Status}): waiting {WaitSeconds} s before attempt {Attempt}",
                hit.Kind, operation, scope.Subject, status, Seconds(hit.Wait), attempt + 1);
        }
    }

    private static bool IsContentCreating(HttpMethod method) =>
        method == HttpMethod.Post || method == HttpMethod.Patch || method == HttpMethod.Put || method == HttpMethod.Delete;

    private static string Seconds(TimeSpan wait) => Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private static string Describe(GitHubLimitKind kind) => kind switch
    {
        GitHubLimitKind.RetryAfter => "rate limited with retry-after",
        GitHubLimitKind.Primary => "primary rate limit exhausted",
        _ => "secondary rate limit",
    };

    private async Task WaitWhileBlockedAsync(string operation, CancellationToken cancellationToken)
    {
        TimeSpan remaining;
        while ((remaining = limits.RemainingBlock()) > TimeSpan.Zero)
        {
            if (remaining > settings.MaxWait)
            {
                throw new GitHubException(
                    $"GitHub rate limit for {scope.Subject} is exhausted: {operation} not sent, retry in {Seconds(remaining)} s",
                    isTransient: true, null, remaining);
            }

            logger.LogDebug("Waiting {WaitSeconds} s for GitHub's rate limit for {Subject} before {Operation}",
                Seconds(remaining), scope.Subject, operation);
            await Task.Delay(remaining, timeProvider, cancellationToken);
        }
    }

    /// <summary>Credentials go to the API's origin only: a redirect to another host must not carry them.</summary>
    private void Authorize(HttpRequestMessage request, string credentialValue)
    {
        var target = request.RequestUri;
        var sameOrigin = target is not null
            && string.Equals(target.Scheme, settings.ApiBase.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(target.IdnHost, settings.ApiBase.IdnHost, StringComparison.OrdinalIgnoreCase)
            && target.Port == settings.ApiBase.Port;
        request.Headers.Authorization = sameOrigin ? new AuthenticationHeaderValue("Bearer", credentialValue) : null;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, string operation, CancellationToken cancellationToken)
    {
        // The network timeout is wall-clock on purpose: it bounds real I/O, not a wait Runner chose.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.AttemptTimeout);
        try
        {
            return await base.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GitHubException(
                $"GitHub {operation} for {scope.Subject} timed out after {Seconds(settings.AttemptTimeout)} s", true, null, null, exception);
        }
    }

    private void RecordRemaining(HttpResponseMessage response)
    {
        if (GitHubLimits.Remaining(response) is { } remaining)
        {
            metrics.GitHubRateLimitRemaining.Record(remaining,
                new KeyValuePair<string, object?>("resource", GitHubLimits.Resource(response) ?? "core"));
        }
    }

    /// <summary>The last request of the hour succeeded: hold the next ones back until the reset instead of spending a 403.</summary>
    private void BlockWhenExhausted(HttpResponseMessage response)
    {
        if (GitHubLimits.Remaining(response) == 0 && GitHubLimits.Reset(response) is { } reset)
        {
            var now = timeProvider.GetUtcNow();
            limits.BlockUntil(now + GitHubLimits.UntilReset(reset, now));
            logger.LogWarning("GitHub rate limit for {Subject} exhausted until {Reset:O}", scope.Subject, reset);
        }
    }
}
