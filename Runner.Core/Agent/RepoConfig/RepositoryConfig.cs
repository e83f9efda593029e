namespace Runner.Core.Agent.RepoConfig;

internal enum LabelMode
{
    /// <summary>Name the labels in the comment; a maintainer applies them.</summary>
    Suggest,

    /// <summary>Add the labels to the issue (when the App may), and say so in the comment.</summary>
    Apply,
}

/// <summary>A repository's <c>.github/runner.yml</c>.</summary>
/// <param name="Triage">Whether new and reopened issues are triaged without being asked.</param>
/// <param name="Instructions">Maintainers' extra instructions, appended to the system prompt.</param>
/// <param name="Ignore">Paths the agent's tools never list, read or search (glob patterns).</param>
/// <param name="Review">Whether pull requests are reviewed when opened or pushed to (<c>review: false</c> turns it off; a writer's <c>/runner review</c> still works).</param>
/// <param name="ReviewDrafts">Whether draft pull requests are reviewed too (<c>review: {drafts: true}</c>).</param>
/// <param name="Fix">Whether <c>/runner fix</c> and the <c>runner:fix</c> label may open a draft pull request.</param>
internal sealed record RepositoryConfig(
    bool Triage, LabelMode Labels, string Instructions, IReadOnlyList<string> Ignore,
    bool Review = true, bool ReviewDrafts = false, bool Fix = true)
{
    public static RepositoryConfig Default { get; } = new(true, LabelMode.Suggest, string.Empty, []);
}

/// <param name="Source">Where the configuration came from (<c>owner/repo:.github/runner.yml</c>), null for defaults.</param>
/// <param name="Problem">Why the file found was not used, shown once in the comment; null when it was fine.</param>
internal sealed record LoadedRepositoryConfig(RepositoryConfig Config, string? Source, string? Problem)
{
    public static LoadedRepositoryConfig Defaults { get; } = new(RepositoryConfig.Default, null, null);
}
