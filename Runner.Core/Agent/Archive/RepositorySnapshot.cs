using System.Text;

namespace Runner.Core.Agent.Archive;

internal sealed record SnapshotFile(string Path, long Size);

/// <summary>The text files of one commit, extracted on disk. Paths are relative, with forward slashes.</summary>
internal sealed class RepositorySnapshot
{
    private readonly Dictionary<string, SnapshotFile> byPath;

    public RepositorySnapshot(string sha, string filesRoot, IReadOnlyList<SnapshotFile> files, string? note)
    {
        Sha = sha;
        FilesRoot = filesRoot;
        Files = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        byPath = Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        Note = note;
    }

    public string Sha { get; }

    public string FilesRoot { get; }

    public IReadOnlyList<SnapshotFile> Files { get; }

    /// <summary>What was left out of the snapshot (binary, huge or linked files, a hit size cap), if anything.</summary>
    public string? Note { get; }

    public bool Contains(string path) => byPath.ContainsKey(path);

    public async Task<string> ReadTextAsync(string path, CancellationToken cancellationToken)
    {
        if (!byPath.ContainsKey(path))
        {
            throw new FileNotFoundException("Not in the snapshot", path);
        }

        var bytes = await File.ReadAllBytesAsync(Path.Combine(FilesRoot, path), cancellationToken);
        return new UTF8Encoding(false, false).GetString(bytes);
    }
}
