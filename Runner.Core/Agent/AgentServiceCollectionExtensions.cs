using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Runner.Core.Agent.Archive;
using Runner.Core.Agent.Ask;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Fix;
using Runner.Core.Agent.Locking;
using Runner.Core.Agent.RepoConfig;
using Runner.Core.Agent.Review;
using Runner.Core.Agent.Triage;
using Runner.Core.Configuration;
using Runner.Core.Queue;

namespace Runner.Core.Agent;

public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers the issue agent: <see cref="IJobHandler"/>s for <c>issues</c>, <c>issue_comment</c> and <c>pull_request</c>, and
    /// <see cref="AgentOptions"/> and <see cref="FixOptions"/> (validated at start). Needs <c>IGitHubClientFactory</c>, <c>ILlmClient</c> and
    /// an <c>IConnectionMultiplexer</c> registered by their own <c>AddRunner…</c> methods.
    /// </summary>
    public static IServiceCollection AddRunnerAgent(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AgentOptions>()
            .Bind(configuration)
            .BindDurations(configuration, (AgentOptions.LockTtlVariable, (o, v) => o.LockTtl = v))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>());
        services.AddOptions<FixOptions>().Bind(configuration).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FixOptions>, FixOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<IssueLock>();
        services.TryAddSingleton<IssueRunLock>();
        services.TryAddSingleton<FailureReporter>();
        services.TryAddSingleton<RepositoryArchiveCache>();
        services.TryAddSingleton<RepositoryConfigLoader>();
        services.TryAddSingleton<TriageTask>();
        services.TryAddSingleton<AskTask>();
        services.TryAddSingleton<ReviewTask>();
        services.TryAddSingleton<FixTask>();
        services.TryAddSingleton<IssueAgent>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobHandler, IssuesEventHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobHandler, IssueCommentEventHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobHandler, PullRequestEventHandler>());
        return services;
    }
}
