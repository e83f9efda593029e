using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runner.Core.Agent.Archive;

/// <summary>
/// <c>snapshot.json</c> of a cached snapshot, next to <c>files.json</c> (the file list) and <c>files/</c>.
/// It is written last, so its presence means the snapshot is complete, and its modification time is the
/// snapshot's last use, which LRU eviction sorts by. It stays small so eviction can read all of them.
/// </summary>
internal sealed record SnapshotManifest(
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("sha")] string Sha,
    [property: JsonPropertyName("total_bytes")] long TotalBytes,
    [property: JsonPropertyName("note")] string? Note)
{
    public const string FileName = "snapshot.json";
    public const string FileListName = "files.json";
    public const string FilesFolder = "files";

    public static async Task<SnapshotManifest?> TryReadAsync(string directory, CancellationToken cancellationToken) =>
        await TryReadJsonAsync<SnapshotManifest>(Path.Combine(directory, FileName), cancellationToken);

    /// <summary>Loads a complete snapshot, or null when the directory holds none (or it was evicted meanwhile).</summary>
    public static async Task<RepositorySnapshot?> TryLoadSnapshotAsync(string directory, CancellationToken cancellationToken)
    {
        var manifest = await TryReadAsync(directory, cancellationToken);
        var files = await TryReadJsonAsync<List<SnapshotFile>>(Path.Combine(directory, FileListName), cancellationToken);
        return manifest is null || files is null
            ? null
            : new RepositorySnapshot(manifest.Sha, Path.Combine(directory, FilesFolder), files, manifest.Note);
    }

    public async Task WriteAsync(string directory, IReadOnlyList<SnapshotFile> files, CancellationToken cancellationToken)
    {
        await using (var list = File.Create(Path.Combine(directory, FileListName)))
        {
            await JsonSerializer.SerializeAsync(list, files, cancellationToken: cancellationToken);
        }

        await using var manifest = File.Create(Path.Combine(directory, FileName));
        await JsonSerializer.SerializeAsync(manifest, this, cancellationToken: cancellationToken);
    }

    private static async Task<T?> TryReadJsonAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<T>(stream, cancellationToken: cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
