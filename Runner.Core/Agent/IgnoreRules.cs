using Microsoft.Extensions.Logging;
using Runner.Core.Agent.Commands;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Webhooks;

namespace Runner.Core.Agent;

/// <summary>Which events the agent acts on: the actions it handles, never bots' events, only <c>/runner</c> commands.</summary>
internal static class IgnoreRules
{
    /// <returns>True when an <c>issues</c> event asks for a triage.</returns>
    public static bool ShouldTriage(IssueWebhook webhook, ILogger logger)
    {
        if (webhook.Action is not ("opened" or "reopened") || webhook.Issue.IsPullRequest)
        {
            logger.LogDebug("Ignoring issues.{Action} on {Repository}#{Number}", webhook.Action, webhook.Repository, webhook.Issue.Number);
            return false;
        }

        return !FromBot(webhook, $"issues.{webhook.Action}", logger);
    }

    /// <returns>True when an <c>issues.labeled</c> event added the fix label to an issue (the sender's access is checked later).</returns>
    public static bool AsksForFix(IssueWebhook webhook, string fixLabel, ILogger logger)
    {
        if (webhook.Action != "labeled" || !string.Equals(webhook.Label, fixLabel, StringComparison.OrdinalIgnoreCase) || webhook.Issue.IsPullRequest)
        {
            return false;
        }

        return !FromBot(webhook, $"the {fixLabel} label", logger);
    }

    /// <returns>True when a <c>pull_request</c> event asks for a review (drafts are decided with the configuration).</returns>
    public static bool ShouldReview(PullRequestWebhook pull, ILogger logger)
    {
        var webhook = pull.Issue;
        if (webhook.Action is not ("opened" or "reopened" or "synchronize" or "ready_for_review") || pull.State != "open")
        {
            logger.LogDebug("Ignoring pull_request.{Action} on {Repository}#{Number}", webhook.Action, webhook.Repository, webhook.Issue.Number);
            return false;
        }

        return !FromBot(webhook, $"pull_request.{webhook.Action}", logger);
    }

    /// <returns>The command an <c>issue_comment</c> event carries, or null when there is nothing to do.</returns>
    public static RunnerCommand? CommandIn(IssueWebhook webhook, ILogger logger)
    {
        var comment = webhook.Comment!;
        if (webhook.Action != "created")
        {
            logger.LogDebug("Ignoring issue_comment.{Action} on {Repository}#{Number}", webhook.Action, webhook.Repository, webhook.Issue.Number);
            return null;
        }

        if (webhook.SenderIsBot || comment.AuthorIsBot || StickyComments.ContainsMarker(comment.Body))
        {
            logger.LogInformation("Ignoring comment {CommentId} on {Repository}#{Number} from bot {Sender}",
                comment.Id, webhook.Repository, webhook.Issue.Number, webhook.SenderLogin);
            return null;
        }

        if (RunnerCommandParser.Parse(comment.Body) is not { } command)
        {
            logger.LogDebug("Comment {CommentId} on {Repository}#{Number} has no /runner command", comment.Id, webhook.Repository, webhook.Issue.Number);
            return null;
        }

        return command;
    }

    /// <returns>True, after saying so, when a bot sent the event: Runner never acts on bots' events, its own included.</returns>
    private static bool FromBot(IssueWebhook webhook, string what, ILogger logger)
    {
        if (!webhook.SenderIsBot)
        {
            return false;
        }

        logger.LogInformation("Ignoring {Event} on {Repository}#{Number} from bot {Sender}", what, webhook.Repository, webhook.Issue.Number, webhook.SenderLogin);
        return true;
    }
}
