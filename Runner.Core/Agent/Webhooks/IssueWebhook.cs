using Runner.Core.GitHub;

namespace Runner.Core.Agent.Webhooks;

/// <summary>An <c>issues</c> or <c>issue_comment</c> delivery, reduced to what the agent acts on.</summary>
internal sealed record IssueWebhook(
    string Action,
    RepositoryRef Repository,
    string RepositoryHtmlUrl,
    string? DefaultBranch,
    long? InstallationId,
    IssueInfo Issue,
    string SenderLogin,
    bool SenderIsBot,
    CommentInfo? Comment);

internal sealed record IssueInfo(
    int Number,
    string Title,
    string Body,
    string HtmlUrl,
    string Author,
    IReadOnlyList<string> Labels,
    bool IsPullRequest);

internal sealed record CommentInfo(long Id, string Body, string Author, bool AuthorIsBot);
