using System.Text.Json;
using Runner.Core.GitHub;
using Runner.Core.Queue;

namespace Runner.Core.Agent.Webhooks;

/// <summary>Reads a job's payload; a payload that is not the webhook it claims to be cannot get better by retrying.</summary>
internal static class WebhookPayloadReader
{
    public static IssueWebhook Read(Job job)
    {
        var payload = Deserialize<IssueEventPayload>(job);

        if (payload?.Repository?.FullName is not { } fullName || payload.Issue is not { } issue || issue.Number <= 0)
        {
            throw new PermanentJobException($"The {job.Event} payload has no repository.full_name or issue.number");
        }

        var repository = ParseRepository(job, fullName);

        if (job.Event == "issue_comment" && payload.Comment is null)
        {
            throw new PermanentJobException("The issue_comment payload has no comment");
        }

        var htmlUrl = payload.Repository.HtmlUrl ?? $"https://github.com/{repository.FullName}";
        var info = new IssueInfo(
            issue.Number,
            issue.Title ?? string.Empty,
            issue.Body ?? string.Empty,
            issue.HtmlUrl ?? $"{htmlUrl}/issues/{issue.Number}",
            issue.User?.Login ?? "ghost",
            (issue.Labels ?? []).Select(l => l.Name).OfType<string>().ToList(),
            issue.PullRequest is not null);
        var comment = payload.Comment is { } c
            ? new CommentInfo(c.Id, c.Body ?? string.Empty, c.User?.Login ?? "ghost", IsBot(c.User))
            : null;
        return Webhook(payload.Action, repository, htmlUrl, payload.Repository, payload.Installation, payload.Sender, info, comment, payload.Label?.Name);
    }

    /// <summary>A <c>pull_request</c> delivery: the pull request as its issue (same number, lock and sticky comments), plus what the reviewer needs.</summary>
    public static PullRequestWebhook ReadPullRequest(Job job)
    {
        var payload = Deserialize<PullRequestEventPayload>(job);

        var number = payload?.Number > 0 ? payload.Number : payload?.PullRequest?.Number ?? 0;
        if (payload?.Repository?.FullName is not { } fullName || payload.PullRequest is not { } pull || number <= 0)
        {
            throw new PermanentJobException($"The {job.Event} payload has no repository.full_name or pull_request.number");
        }

        var repository = ParseRepository(job, fullName);

        var htmlUrl = payload.Repository.HtmlUrl ?? $"https://github.com/{repository.FullName}";
        var issue = new IssueInfo(
            number,
            pull.Title ?? string.Empty,
            pull.Body ?? string.Empty,
            pull.HtmlUrl ?? $"{htmlUrl}/pull/{number}",
            pull.User?.Login ?? "ghost",
            [],
            IsPullRequest: true);
        var webhook = Webhook(payload.Action, repository, htmlUrl, payload.Repository, payload.Installation, payload.Sender, issue);
        return new PullRequestWebhook(webhook, pull.Draft, pull.State ?? "open", payload.Before, pull.Head?.Sha ?? payload.After);
    }

    /// <summary>What every issue, comment and pull-request delivery says alike: action, repository, installation and sender.</summary>
    private static IssueWebhook Webhook(string? action, RepositoryRef repository, string htmlUrl, RepositoryPayload repositoryPayload,
        InstallationPayload? installation, UserPayload? sender, IssueInfo issue, CommentInfo? comment = null, string? label = null) =>
        new(
            action ?? string.Empty,
            repository,
            htmlUrl.TrimEnd('/'),
            repositoryPayload.DefaultBranch,
            installation?.Id is > 0 ? installation.Id : null,
            issue,
            sender?.Login ?? "ghost",
            IsBot(sender),
            comment,
            label);

    private static bool IsBot(UserPayload? user) =>
        string.Equals(user?.Type, "Bot", StringComparison.OrdinalIgnoreCase)
        || (user?.Login?.EndsWith("[bot]", StringComparison.OrdinalIgnoreCase) ?? false);

    private static T? Deserialize<T>(Job job)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(job.Payload);
        }
        catch (JsonException)
        {
            throw new PermanentJobException($"The {job.Event} payload is not valid JSON");
        }
    }

    private static RepositoryRef ParseRepository(Job job, string fullName)
    {
        try
        {
            return RepositoryRef.Parse(fullName);
        }
        catch (FormatException)
        {
            throw new PermanentJobException($"The {job.Event} payload's repository.full_name is not owner/name");
        }
    }
}
