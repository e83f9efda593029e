using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Diagnostics;

namespace Runner.Core.GitHub;

/// <summary>
/// Builds the HTTP pipeline every GitHub request goes through: <see cref="GitHubRateLimitHandler"/> for the
/// request's scope and credential, over the shared, pooled handler of <see cref="IHttpMessageHandlerFactory"/>.
/// </summary>
internal sealed class GitHubHttp(
    IOptions<GitHubOptions> options,
    IHttpMessageHandlerFactory handlerFactory,
    GitHubLimitState limitState,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory,
    RunnerMetrics metrics)
{
    public const string HttpClientName = "Runner.GitHub";

    /// <summary>GitHub rejects requests without a User-Agent.</summary>
    public const string Product = "Runner";

    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(100);

    private readonly ILogger logger = loggerFactory.CreateLogger<GitHubRateLimitHandler>();

    public GitHubPipelineSettings Settings { get; } = new(
        GitHubApiBase.Normalize(options.Value.ApiUrl),
        options.Value.WriteInterval,
        options.Value.MaxWait,
        AttemptTimeout);

    public Uri ApiBase => Settings.ApiBase;

    /// <param name="lifetime">Cancels every request and wait of the pipeline, for clients whose API takes no token.</param>
    public HttpMessageHandler CreatePipeline(GitHubRequestScope scope, IGitHubCredential credential,
        CancellationToken lifetime = default) =>
        new GitHubRateLimitHandler(scope, credential, limitState.For(scope), Settings, timeProvider, logger, metrics, lifetime)
        {
            InnerHandler = handlerFactory.CreateHandler(HttpClientName),
        };

    /// <summary>An HttpClient for Runner's own REST calls, rooted at <see cref="ApiBase"/>.</summary>
    public HttpClient CreateClient(GitHubRequestScope scope, IGitHubCredential credential)
    {
        var client = new HttpClient(CreatePipeline(scope, credential))
        {
            BaseAddress = ApiBase,

            // Rate-limit waits happen inside the pipeline; each network attempt has its own timeout there.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue(Product, "1.0"));
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        client.DefaultRequestHeaders.Add("X-GitHub-Api-Version", "2022-11-28");
        return client;
    }
}
