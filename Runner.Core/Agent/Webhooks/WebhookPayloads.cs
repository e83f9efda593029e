using System.Text.Json.Serialization;

namespace Runner.Core.Agent.Webhooks;

/// <summary>The parts of GitHub's <c>issues</c> and <c>issue_comment</c> webhook payloads the agent reads.</summary>
internal sealed record IssueEventPayload(
    [property: JsonPropertyName("action")] string? Action,
    [property: JsonPropertyName("issue")] IssuePayload? Issue,
    [property: JsonPropertyName("comment")] CommentPayload? Comment,
    [property: JsonPropertyName("repository")] RepositoryPayload? Repository,
    [property: JsonPropertyName("sender")] UserPayload? Sender,
    [property: JsonPropertyName("installation")] InstallationPayload? Installation,
    [property: JsonPropertyName("label")] LabelPayload? Label = null);

internal sealed record IssuePayload(
    [property: JsonPropertyName("number")] int Number,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("body")] string? Body,
    [property: JsonPropertyName("html_url")] string? HtmlUrl,
    [property: JsonPropertyName("user")] UserPayload? User,
    [property: JsonPropertyName("labels")] IReadOnlyList<LabelPayload>? Labels,
    [property: JsonPropertyName("pull_request")] PullRequestLinkPayload? PullRequest);

internal sealed record CommentPayload(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("body")] string? Body,
    [property: JsonPropertyName("html_url")] string? HtmlUrl,
    [property: JsonPropertyName("user")] UserPayload? User);

internal sealed record RepositoryPayload(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("full_name")] string? FullName,
    [property: JsonPropertyName("html_url")] string? HtmlUrl,
    [property: JsonPropertyName("default_branch")] string? DefaultBranch,
    [property: JsonPropertyName("owner")] UserPayload? Owner);

internal sealed record UserPayload(
    [property: JsonPropertyName("login")] string? Login,
    [property: JsonPropertyName("type")] string? Type);

internal sealed record LabelPayload([property: JsonPropertyName("name")] string? Name);

internal sealed record InstallationPayload([property: JsonPropertyName("id")] long Id);

internal sealed record PullRequestLinkPayload([property: JsonPropertyName("url")] string? Url);

/// <summary>The parts of GitHub's <c>pull_request</c> webhook payload the reviewer reads.</summary>
internal sealed record PullRequestEventPayload(
    [property: JsonPropertyName("action")] string? Action,
    [property: JsonPropertyName("number")] int Number,
    [property: JsonPropertyName("before")] string? Before,
    [property: JsonPropertyName("after")] string? After,
    [property: JsonPropertyName("pull_request")] PullRequestPayload? PullRequest,
    [property: JsonPropertyName("repository")] RepositoryPayload? Repository,
    [property: JsonPropertyName("sender")] UserPayload? Sender,
    [property: JsonPropertyName("installation")] InstallationPayload? Installation);

internal sealed record PullRequestPayload(
    [property: JsonPropertyName("number")] int Number,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("body")] string? Body,
    [property: JsonPropertyName("html_url")] string? HtmlUrl,
    [property: JsonPropertyName("draft")] bool Draft,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("user")] UserPayload? User,
    [property: JsonPropertyName("head")] PullRequestBranchPayload? Head);

internal sealed record PullRequestBranchPayload(
    [property: JsonPropertyName("sha")] string? Sha,
    [property: JsonPropertyName("ref")] string? Ref);
