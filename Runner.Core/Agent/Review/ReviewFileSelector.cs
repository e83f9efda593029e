using Runner.Core.Agent.Tools;
using Runner.Core.GitHub.PullRequests;

namespace Runner.Core.Agent.Review;

internal enum SkipReason
{
    /// <summary>GitHub sent no patch: a binary file, or a diff too large for the API.</summary>
    NoPatch,

    /// <summary>Matched by <c>ignore</c> in <c>.github/runner.yml</c>.</summary>
    Ignored,

    /// <summary>Deleted by the pull request: there is no new side to comment on.</summary>
    Removed,

    /// <summary>Renamed without a change of content: there is no diff to review.</summary>
    RenamedOnly,

    /// <summary>Did not fit the file or diff-size budget after more important files.</summary>
    OverBudget,
}

internal sealed record SkippedFile(string Path, SkipReason Reason)
{
    public string Describe() => Reason switch
    {
        SkipReason.NoPatch => "no diff from GitHub (binary or too large)",
        SkipReason.Ignored => "ignored by .github/runner.yml",
        SkipReason.Removed => "deleted",
        SkipReason.RenamedOnly => "renamed without changes",
        _ => "over the review budget",
    };
}

/// <param name="MaxFiles">Files shown to the model at most.</param>
/// <param name="MaxPatchChars">Patch text shown to the model at most, summed over the files.</param>
internal sealed record ReviewBudget(int MaxFiles, int MaxPatchChars)
{
    public static ReviewBudget Default { get; } = new(50, 60_000);
}

/// <param name="Included">Files to review, most important first, with their parsed patches.</param>
internal sealed record ReviewSelection(IReadOnlyList<(PullRequestFile File, FilePatch Patch)> Included, IReadOnlyList<SkippedFile> Skipped)
{
    public IReadOnlyDictionary<string, FilePatch> Diff =>
        Included.ToDictionary(i => i.File.Path, i => i.Patch, StringComparer.Ordinal);
}

/// <summary>
/// Chooses the files a review shows the model. Nothing is dropped silently: every file left out is listed with
/// its reason. Under the budget, hand-written source comes before generated, lock and vendored files, which are
/// large and rarely where a reviewer finds a bug.
/// </summary>
internal static class ReviewFileSelector
{
    private static readonly string[] LockFiles =
    [
        "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json", "Cargo.lock", "Gemfile.lock", "poetry.lock",
        "composer.lock", "go.sum", "packages.lock.json", "Pipfile.lock", "flake.lock", "mix.lock", "pubspec.lock", "Podfile.lock",
    ];

    private static readonly string[] VendoredFolders = ["vendor", "node_modules", "third_party", "third-party", "external", "bower_components"];

    private static readonly string[] GeneratedFolders = ["dist", "generated", "__generated__", "gen"];

    private static readonly string[] GeneratedSuffixes =
    [
        ".min.js", ".min.css", ".map", ".g.cs", ".g.i.cs", ".designer.cs", ".Designer.cs", ".pb.go", "_pb2.py", ".pb.cs", ".snap", ".lock",
    ];

    public static ReviewSelection Select(IReadOnlyList<PullRequestFile> files, PathFilter ignore, ReviewBudget budget)
    {
        var skipped = new List<SkippedFile>();
        var candidates = new List<(PullRequestFile File, int Rank, int Order)>();
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            if (ignore.IsIgnored(file.Path))
            {
                skipped.Add(new SkippedFile(file.Path, SkipReason.Ignored));
            }
            else if (file.Status == "removed")
            {
                skipped.Add(new SkippedFile(file.Path, SkipReason.Removed));
            }
            else if (string.IsNullOrEmpty(file.Patch))
            {
                skipped.Add(new SkippedFile(file.Path, file.Status == "renamed" && file.Additions + file.Deletions == 0 ? SkipReason.RenamedOnly : SkipReason.NoPatch));
            }
            else
            {
                candidates.Add((file, IsLowPriority(file.Path) ? 1 : 0, i));
            }
        }

        var included = new List<(PullRequestFile, FilePatch)>();
        var chars = 0;
        foreach (var (file, _, _) in candidates.OrderBy(c => c.Rank).ThenBy(c => c.Order))
        {
            var patch = FilePatch.Parse(file.Patch);
            if (included.Count >= budget.MaxFiles || chars + file.Patch!.Length > budget.MaxPatchChars || patch.Hunks.Count == 0)
            {
                skipped.Add(new SkippedFile(file.Path, patch.Hunks.Count == 0 ? SkipReason.NoPatch : SkipReason.OverBudget));
                continue;
            }

            chars += file.Patch.Length;
            included.Add((file, patch));
        }

        return new ReviewSelection(included, skipped);
    }

    /// <summary>Generated, lock and vendored files: reviewed only when the budget has room after everything else.</summary>
    public static bool IsLowPriority(string path)
    {
        var segments = path.Split('/');
        var name = segments[^1];
        var folders = segments[..^1];
        return LockFiles.Contains(name, StringComparer.OrdinalIgnoreCase)
            || folders.Any(f => VendoredFolders.Contains(f, StringComparer.OrdinalIgnoreCase) || GeneratedFolders.Contains(f, StringComparer.OrdinalIgnoreCase))
            || GeneratedSuffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase))
            || name.Contains(".generated.", StringComparison.OrdinalIgnoreCase);
    }
}
