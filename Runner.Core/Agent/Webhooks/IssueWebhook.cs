using Runner.Core.GitHub;

namespace Runner.Core.Agent.Webhooks;

/// <summary>An <c>issues</c> or <c>issue_comment</c> delivery (or a <c>pull_request</c> one seen as its issue), reduced to what the agent acts on.</summary>
/// <param name="Label">The label an <c>issues.labeled</c> event added.</param>
internal sealed record IssueWebhook(
    string Action,
    RepositoryRef Repository,
    string RepositoryHtmlUrl,
    string? DefaultBranch,
    long? InstallationId,
    IssueInfo Issue,
    string SenderLogin,
    bool SenderIsBot,
    CommentInfo? Comment,
    string? Label = null);

internal sealed record IssueInfo(
    int Number,
    string Title,
    string Body,
    string HtmlUrl,
    string Author,
    IReadOnlyList<string> Labels,
    bool IsPullRequest);

internal sealed record CommentInfo(long Id, string Body, string Author, bool AuthorIsBot);

/// <summary>A <c>pull_request</c> delivery.</summary>
/// <param name="Before">For <c>synchronize</c>: the head before the push.</param>
/// <param name="HeadSha">The head the event saw (the run reads the current one from the API).</param>
internal sealed record PullRequestWebhook(IssueWebhook Issue, bool Draft, string State, string? Before, string? HeadSha);
