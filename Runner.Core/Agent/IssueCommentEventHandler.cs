using Runner.Core.Queue;

namespace Runner.Core.Agent;

/// <summary><c>issue_comment</c> jobs: <c>/runner</c> commands in new comments.</summary>
internal sealed class IssueCommentEventHandler(IssueAgent agent) : IJobHandler
{
    public IReadOnlyCollection<string> Events { get; } = ["issue_comment"];

    public Task HandleAsync(Job job, CancellationToken cancellationToken) => agent.HandleIssueCommentAsync(job, cancellationToken);
}
