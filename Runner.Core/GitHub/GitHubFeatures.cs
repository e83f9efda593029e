namespace Runner.Core.GitHub;

/// <summary>One thing Runner does on GitHub, and what the App needs granted and subscribed for it.</summary>
/// <param name="Permissions">Repository permissions (GitHub's names, e.g. <c>pull_requests</c>) and the least level each needs.</param>
/// <param name="Events">Webhook events the App must be subscribed to (GitHub's names, e.g. <c>pull_request</c>).</param>
public sealed record GitHubFeature(string Name, string Trigger, IReadOnlyDictionary<string, string> Permissions, IReadOnlyList<string> Events);

/// <summary>What <c>runner github check</c> reports per feature: whether the App's permissions and events allow it.</summary>
public static class GitHubFeatures
{
    public static IReadOnlyList<GitHubFeature> All { get; } =
    [
        new("triage", "new and reopened issues", Scopes(GitHubPermissions.IssueWriter), ["issues"]),
        new("ask", "/runner ask in issue comments", Scopes(GitHubPermissions.IssueWriter), ["issue_comment"]),
        new("review", "pull requests opened or pushed to, /runner review", Scopes(GitHubPermissions.Reviewer), ["pull_request", "issue_comment"]),
        new("fix", "/runner fix and the runner:fix label", Scopes(GitHubPermissions.Fixer), ["issues", "issue_comment"]),
    ];

    /// <returns>One line per feature: <c>ok</c>, or exactly what to add in the App's settings.</returns>
    public static IReadOnlyList<string> Describe(IReadOnlyDictionary<string, string> granted, IReadOnlyCollection<string> events) =>
        [.. All.Select(feature => Describe(feature, granted, events))];

    public static string Describe(GitHubFeature feature, IReadOnlyDictionary<string, string> granted, IReadOnlyCollection<string> events)
    {
        var missing = feature.Permissions
            .Where(p => Level(granted.GetValueOrDefault(p.Key)) < Level(p.Value))
            .Select(p => $"permission {Title(p.Key)}: {(p.Value == "write" ? "Read and write" : "Read-only")} (has {granted.GetValueOrDefault(p.Key) ?? "none"})")
            .Concat(feature.Events.Where(e => !events.Contains(e, StringComparer.Ordinal)).Select(e => $"event {Title(e)}"))
            .ToList();
        return missing.Count == 0
            ? $"  {feature.Name,-7} ok ({feature.Trigger})"
            : $"  {feature.Name,-7} MISSING: add {string.Join("; add ", missing)} ({feature.Trigger})";
    }

    private static Dictionary<string, string> Scopes(GitHubPermissions permissions) =>
        permissions.Scopes.Where(s => s.Key != "metadata").ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);

    private static int Level(string? level) => level switch
    {
        "admin" => 3,
        "write" => 2,
        "read" => 1,
        _ => 0,
    };

    /// <summary>The name as the App settings page shows it: <c>pull_requests</c> → "Pull requests".</summary>
    private static string Title(string name)
    {
        var words = name.Replace('_', ' ');
        return $"\"{char.ToUpperInvariant(words[0])}{words[1..]}\"";
    }
}
