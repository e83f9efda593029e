namespace Runner.Core.GitHub;

/// <summary>
/// The permissions an installation token is down-scoped to (GitHub's <c>permissions</c> body of
/// <c>POST /app/installations/{id}/access_tokens</c>), e.g. <c>issues: write</c>.
/// </summary>
public sealed class GitHubPermissions : IEquatable<GitHubPermissions>
{
    private readonly SortedDictionary<string, string> scopes;

    private GitHubPermissions(SortedDictionary<string, string> scopes)
    {
        this.scopes = scopes;
        Key = string.Join(',', scopes.Select(s => $"{s.Key}:{s.Value}"));
    }

    /// <summary>Reads repository metadata only.</summary>
    public static GitHubPermissions ReadOnly { get; } = Of(("metadata", "read"), ("contents", "read"), ("issues", "read"));

    /// <summary>What the issue agent needs: read code, write issues and their comments, labels and reactions.</summary>
    public static GitHubPermissions IssueWriter { get; } =
        Of(("metadata", "read"), ("contents", "read"), ("issues", "write"));

    /// <summary>Pull request reviews: read the code, post a review (pull requests), keep the sticky summary and reactions (issues).</summary>
    public static GitHubPermissions Reviewer { get; } =
        Of(("metadata", "read"), ("contents", "read"), ("pull_requests", "write"), ("issues", "write"));

    /// <summary>
    /// Issue → draft pull request: commit to a <c>runner/</c> branch (contents), open or update the draft (pull requests),
    /// comment on the issue (issues). Metadata read is granted to every token anyway.
    /// </summary>
    public static GitHubPermissions Fixer { get; } =
        Of(("metadata", "read"), ("contents", "write"), ("pull_requests", "write"), ("issues", "write"));

    public IReadOnlyDictionary<string, string> Scopes => scopes;

    /// <summary>A stable text form, usable as (part of) a cache key.</summary>
    public string Key { get; }

    public static GitHubPermissions Of(params (string Name, string Level)[] scopes)
    {
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, level) in scopes)
        {
            sorted[name] = level;
        }

        return new GitHubPermissions(sorted);
    }

    public bool Equals(GitHubPermissions? other) => other is not null && Key == other.Key;

    public override bool Equals(object? obj) => Equals(obj as GitHubPermissions);

    public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Key;
}
