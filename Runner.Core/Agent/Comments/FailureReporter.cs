using Microsoft.Extensions.Logging;
using Octokit;
using Runner.Core.Agent.Webhooks;
using Runner.Core.Llm;
using Runner.Core.Queue;

namespace Runner.Core.Agent.Comments;

/// <summary>The honest failure comment: what failed and whether the queue will try again, in the task's sticky comment.</summary>
internal sealed class FailureReporter(ILlmClient llm, TimeProvider timeProvider, ILogger<FailureReporter> logger)
{
    /// <param name="cause">What the run threw, before it was mapped to a job outcome.</param>
    /// <param name="permanent">True when the job outcome is a permanent failure.</param>
    public async Task ReportAsync(
        IGitHubClient client, Job job, IssueWebhook webhook, string task, Exception cause, bool permanent, RunMeter meter)
    {
        var (title, rerun) = task switch
        {
            IssueAgent.TriageTaskName => ("Triage", "a maintainer can comment `/runner triage` to run it again"),
            IssueAgent.ReviewTaskName => ("Runner review", "a maintainer can comment `/runner review` to run it again"),
            IssueAgent.FixTaskName => ("Runner fix", "a maintainer can comment `/runner fix` to run it again"),
            _ => ("Answer", "ask again with `/runner ask`"),
        };
        var body = Notices.Failure(title, rerun, cause, permanent, job.Attempt, job.MaxAttempts)
            + CommentFooter.Render(meter.Model ?? llm.Model, meter.Tokens, timeProvider.GetElapsedTime(meter.Started));
        try
        {
            await StickyComments.UpsertAsync(client, webhook.Repository, webhook.Issue.Number, task, job.Delivery, body);
        }
        catch (Exception reportFailure) when (reportFailure is not OperationCanceledException)
        {
            // GitHub itself may be what failed; the queue still gets the original exception.
            logger.LogWarning("Could not post the failure notice on {Repository}#{Number}: {Error}",
                webhook.Repository, webhook.Issue.Number, reportFailure.Message);
        }
    }
}
