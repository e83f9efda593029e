using Runner.Core.Queue;

namespace Runner.Core.Agent;

/// <summary><c>issues</c> jobs: triage of opened and reopened issues.</summary>
internal sealed class IssuesEventHandler(IssueAgent agent) : IJobHandler
{
    public IReadOnlyCollection<string> Events { get; } = ["issues"];

    public Task HandleAsync(Job job, CancellationToken cancellationToken) => agent.HandleIssuesAsync(job, cancellationToken);
}
