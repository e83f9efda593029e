namespace Runner.Core.GitHub.PullRequests;

/// <summary>The fields of <c>GET /repos/{o}/{r}/pulls/{n}</c> a review or a fix needs.</summary>
/// <param name="HeadRepository">owner/name of the head repository (a fork for pull requests from forks); null when it was deleted.</param>
internal sealed record PullRequestInfo(
    int Number,
    string Title,
    string? Body,
    string State,
    bool Draft,
    string HeadSha,
    string HeadRef,
    string? HeadRepository,
    string BaseRef,
    string BaseSha,
    string Author,
    string HtmlUrl);

/// <summary>One entry of <c>pulls/{n}/files</c> or of a comparison's <c>files</c>.</summary>
/// <param name="Patch">The unified diff without file headers; null for binary files and diffs GitHub found too large.</param>
internal sealed record PullRequestFile(string Path, string Status, int Additions, int Deletions, string? Patch, string? PreviousPath);

/// <summary>What <c>compare/{base}...{head}</c> says about the commits since <paramref name="Base"/>.</summary>
/// <param name="Status"><c>ahead</c>, <c>behind</c>, <c>identical</c>, <c>diverged</c>, or <c>missing</c> when GitHub does not know the base (404).</param>
internal sealed record Comparison(string Base, string Head, string Status, IReadOnlyList<PullRequestFile> Files)
{
    /// <summary>
    /// True when only the commits since <see cref="Base"/> can be reviewed: the base is an ancestor of the head.
    /// After a force-push the old head is gone (404) or no longer an ancestor (<c>diverged</c>/<c>behind</c>): review everything.
    /// </summary>
    public bool IsIncremental => Status is "ahead" or "identical";
}

/// <summary>A review as listed by <c>pulls/{n}/reviews</c>.</summary>
internal sealed record PostedReview(long Id, string? CommitId, string Body, string Author, string AuthorType, string State, string? HtmlUrl);

/// <summary>An inline review comment as listed by <c>pulls/{n}/comments</c>.</summary>
/// <param name="Line">Its line on the current diff; null once the line is outdated.</param>
internal sealed record PostedReviewComment(long Id, long? ReviewId, string Path, int? Line, int? OriginalLine, string Body, string Author, string AuthorType);

/// <summary>An inline comment of a new review: always on the RIGHT (new) side, at a line of the diff.</summary>
internal sealed record InlineComment(string Path, int Line, string Body);

/// <summary>A review Runner posts. There is no event field: Runner only ever comments, never approves or requests changes.</summary>
internal sealed record ReviewDraft(string CommitId, string Body, IReadOnlyList<InlineComment> Comments);

internal sealed record CreatedReview(long Id, string? HtmlUrl);

/// <summary>A pull request Runner opened or updated.</summary>
internal sealed record PullRequestRef(int Number, string HtmlUrl, bool Draft, string HeadRef);

/// <summary>An entry of a recursive git tree (<c>git/trees/{sha}?recursive=1</c>).</summary>
/// <param name="Mode"><c>100644</c>/<c>100755</c> files, <c>120000</c> symbolic links, <c>160000</c> submodules, <c>040000</c> folders.</param>
internal sealed record GitTreeEntry(string Path, string Mode, string Type, string? Sha)
{
    public bool IsSymlink => Mode == "120000";

    public bool IsSubmodule => Mode == "160000" || Type == "commit";
}

/// <summary>A change of one path in a new tree: new content, or deletion when <paramref name="Content"/> is null.</summary>
/// <param name="Mode">The file mode to write: <c>100644</c>, or <c>100755</c> to keep an executable file executable.</param>
internal sealed record GitFileChange(string Path, string? Content, string Mode = GitFileChange.RegularFile)
{
    public const string RegularFile = "100644";
}
