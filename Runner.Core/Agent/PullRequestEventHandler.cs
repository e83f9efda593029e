using Runner.Core.Queue;

namespace Runner.Core.Agent;

/// <summary><c>pull_request</c> jobs: reviews.</summary>
internal sealed class PullRequestEventHandler(IssueAgent agent) : IJobHandler
{
    public IReadOnlyCollection<string> Events { get; } = ["pull_request"];

    public Task HandleAsync(Job job, CancellationToken cancellationToken) => agent.HandlePullRequestAsync(job, cancellationToken);
}
