using System.Text;
using Runner.Core.GitHub.PullRequests;

namespace Runner.Core.Agent.Fix;

/// <summary>The safety rules a write can break; each refusal names its rule so the model (and the log) knows why.</summary>
public enum FixRule
{
    InvalidPath,
    ParentSegment,
    AbsolutePath,
    GitFolder,
    Workflows,
    Symlink,
    Submodule,
    NotAFile,
    MaxFiles,
    MaxBytes,
}

/// <summary>The outcome of one write or delete: accepted, or refused by a named rule.</summary>
internal sealed record FixWriteResult(bool Accepted, FixRule? Rule, string Message)
{
    public static FixWriteResult Ok(string message) => new(true, null, message);

    public static FixWriteResult Refused(FixRule rule, string why) => new(false, rule, $"Error: refused by rule '{RuleName(rule)}': {why}");

    public static string RuleName(FixRule rule) => rule switch
    {
        FixRule.InvalidPath => "invalid-path",
        FixRule.ParentSegment => "no-parent-segments",
        FixRule.AbsolutePath => "no-absolute-paths",
        FixRule.GitFolder => "no-git-folder",
        FixRule.Workflows => "no-workflows",
        FixRule.Symlink => "no-symlinks",
        FixRule.Submodule => "no-submodules",
        FixRule.NotAFile => "delete-existing-files-only",
        FixRule.MaxFiles => "max-files",
        _ => "max-bytes",
    };
}

/// <summary>
/// What the repository's tree says about paths a fix must not write through: symbolic links (mode 120000) and
/// submodules (mode 160000), from <c>git/trees/{sha}?recursive=1</c>. The tarball snapshot cannot tell: it
/// skips links without recording them and holds no submodule entries.
/// </summary>
internal sealed class RepositoryPaths
{
    private readonly HashSet<string> files;
    private readonly HashSet<string> executables;
    private readonly HashSet<string> symlinks;
    private readonly HashSet<string> submodules;

    public RepositoryPaths(IEnumerable<GitTreeEntry> entries)
    {
        var list = entries.ToList();
        symlinks = list.Where(e => e.IsSymlink).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        submodules = list.Where(e => e.IsSubmodule).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        files = list.Where(e => e.Type == "blob" && !e.IsSymlink).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        executables = list.Where(e => e.Mode == "100755").Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The mode a rewrite of <paramref name="path"/> keeps: an executable script stays executable.</summary>
    public string ModeOf(string path) => executables.Contains(path) ? "100755" : GitFileChange.RegularFile;

    public bool IsFile(string path) => files.Contains(path);

    public bool IsSymlink(string path) => symlinks.Contains(path);

    public bool IsSubmodule(string path) => submodules.Contains(path);
}

/// <summary>
/// The in-memory change set of a fix run: what <c>write_file</c> and <c>delete_file</c> asked for, after the
/// safety rules. Nothing reaches GitHub from here; <see cref="FixPublisher"/> commits <see cref="Changes"/>.
/// </summary>
internal sealed class FixChangeSet(RepositoryPaths repository, int maxFiles, long maxBytes)
{
    private const string WorkflowsFolder = ".github/workflows/";

    private readonly Dictionary<string, string?> changes = new(StringComparer.Ordinal);

    /// <summary>Changed paths in the order first touched; null content deletes the file.</summary>
    public IReadOnlyList<GitFileChange> Changes => changes.Select(c => new GitFileChange(c.Key, c.Value, repository.ModeOf(c.Key))).ToList();

    public bool IsEmpty => changes.Count == 0;

    public long BytesWritten => changes.Values.Sum(c => c is null ? 0L : Encoding.UTF8.GetByteCount(c));

    public FixWriteResult Write(string? rawPath, string content)
    {
        if (Check(rawPath, out var path) is { } refused)
        {
            return refused;
        }

        if (!changes.ContainsKey(path) && changes.Count >= maxFiles)
        {
            return FixWriteResult.Refused(FixRule.MaxFiles, $"a fix may change at most {maxFiles} files and this change set already has {changes.Count}.");
        }

        var bytes = Encoding.UTF8.GetByteCount(content);
        var others = BytesWritten - (changes.TryGetValue(path, out var previous) && previous is not null ? Encoding.UTF8.GetByteCount(previous) : 0);
        if (others + bytes > maxBytes)
        {
            return FixWriteResult.Refused(FixRule.MaxBytes,
                $"a fix may write at most {ByteSize.Format(maxBytes)} and this write would bring the change set to {ByteSize.Format(others + bytes)}.");
        }

        var existed = repository.IsFile(path);
        changes[path] = content;
        return FixWriteResult.Ok($"{(existed ? "Updated" : "Created")} {path} ({ByteSize.Format(bytes)}) in the change set. "
            + "read_file still shows the committed version.");
    }

    public FixWriteResult Delete(string? rawPath)
    {
        if (Check(rawPath, out var path) is { } refused)
        {
            return refused;
        }

        if (!repository.IsFile(path))
        {
            // A file this run created and now deletes simply leaves the change set.
            return changes.Remove(path)
                ? FixWriteResult.Ok($"Dropped {path} from the change set.")
                : FixWriteResult.Refused(FixRule.NotAFile, $"there is no file '{path}' in the repository to delete.");
        }

        if (!changes.ContainsKey(path) && changes.Count >= maxFiles)
        {
            return FixWriteResult.Refused(FixRule.MaxFiles, $"a fix may change at most {maxFiles} files and this change set already has {changes.Count}.");
        }

        changes[path] = null;
        return FixWriteResult.Ok($"Deleted {path} in the change set.");
    }

    /// <summary>The path rules, shared by writes and deletes. Returns the refusal, or null with the normalised path.</summary>
    private FixWriteResult? Check(string? raw, out string path)
    {
        path = string.Empty;
        var text = raw?.Trim() ?? string.Empty;
        if (text.Length == 0 || text.Length > 1024 || text.Any(char.IsControl) || text.Contains('\\', StringComparison.Ordinal))
        {
            return FixWriteResult.Refused(FixRule.InvalidPath, "give a repository-relative path with forward slashes, e.g. src/App.cs.");
        }

        if (text.StartsWith('/') || text.StartsWith('~') || (text.Length >= 2 && text[1] == ':'))
        {
            return FixWriteResult.Refused(FixRule.AbsolutePath, "paths are relative to the repository root; absolute paths are not allowed.");
        }

        var segments = text.Split('/');
        if (segments.Any(s => s == ".."))
        {
            return FixWriteResult.Refused(FixRule.ParentSegment, "'..' is not allowed in a path.");
        }

        segments = segments.Where(s => s.Length > 0 && s != ".").ToArray();
        if (segments.Length == 0 || text.EndsWith('/'))
        {
            return FixWriteResult.Refused(FixRule.InvalidPath, "give the path of a file, not a folder.");
        }

        path = string.Join('/', segments);
        if (segments.Any(s => s.Equals(".git", StringComparison.OrdinalIgnoreCase)))
        {
            return FixWriteResult.Refused(FixRule.GitFolder, "nothing under .git may be written.");
        }

        if ((path + "/").StartsWith(WorkflowsFolder, StringComparison.OrdinalIgnoreCase))
        {
            return FixWriteResult.Refused(FixRule.Workflows, "Runner never changes files under .github/workflows/.");
        }

        for (var i = 1; i <= segments.Length; i++)
        {
            var prefix = string.Join('/', segments.Take(i));
            if (repository.IsSymlink(prefix))
            {
                return FixWriteResult.Refused(FixRule.Symlink, $"{prefix} is a symbolic link; Runner never writes through links.");
            }

            if (repository.IsSubmodule(prefix))
            {
                return FixWriteResult.Refused(FixRule.Submodule, $"{prefix} is a submodule; change it in its own repository.");
            }
        }

        return null;
    }
}
