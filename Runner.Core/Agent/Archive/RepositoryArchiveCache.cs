using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Octokit;
using Runner.Core.GitHub;

namespace Runner.Core.Agent.Archive;

/// <summary>
/// Tarballs of commits, fetched once per (repository, SHA) and kept unpacked under <c>RUNNER_CACHE_DIR</c>:
/// ten questions about one commit cost one download. Concurrent requests for one commit share the download;
/// the directory is kept under <c>RUNNER_CACHE_MAX_MB</c> by evicting the least recently used snapshots that
/// no run is reading.
/// </summary>
internal sealed partial class RepositoryArchiveCache(
    IOptions<AgentOptions> options,
    TimeProvider timeProvider,
    ILogger<RepositoryArchiveCache> logger) : IDisposable
{
    private const string TemporaryPrefix = ".tmp-";
    private static readonly TimeSpan StaleTemporaryAge = TimeSpan.FromHours(1);

    private readonly Lock gate = new();
    private readonly SemaphoreSlim evictionGate = new(1, 1);
    private readonly Dictionary<string, Task<(RepositorySnapshot? Snapshot, string? Reason)>> inflight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> leases = new(StringComparer.Ordinal);

    private string Root => Path.GetFullPath(options.Value.CacheDirectory);

    public async Task<SnapshotLease> AcquireAsync(
        IGitHubClient client, RepositoryRef repository, string sha, CancellationToken cancellationToken)
    {
        if (!ShaPattern().IsMatch(sha))
        {
            throw new ArgumentException("Not a commit SHA", nameof(sha));
        }

        var key = $"{SafeName(repository.Owner)}__{SafeName(repository.Name)}__{sha.ToLowerInvariant()}";
        Task<(RepositorySnapshot?, string?)> load;
        lock (gate)
        {
            leases[key] = leases.GetValueOrDefault(key) + 1;
            if (!inflight.TryGetValue(key, out load!))
            {
                // Later callers share this download; it runs under the first caller's cancellation token.
                load = LoadAsync(client, repository, sha, key, cancellationToken);
                inflight[key] = load;
            }
        }

        try
        {
            var (snapshot, reason) = await load;
            return new SnapshotLease(snapshot, reason, () => Release(key));
        }
        catch
        {
            Release(key);
            throw;
        }
        finally
        {
            lock (gate)
            {
                if (inflight.TryGetValue(key, out var current) && current == load)
                {
                    inflight.Remove(key);
                }
            }
        }
    }

    public void Dispose() => evictionGate.Dispose();

    private void Release(string key)
    {
        lock (gate)
        {
            if (--leases[key] == 0)
            {
                leases.Remove(key);
            }
        }
    }

    private async Task<(RepositorySnapshot?, string?)> LoadAsync(
        IGitHubClient client, RepositoryRef repository, string sha, string key, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Root, key);
        if (await SnapshotManifest.TryLoadSnapshotAsync(directory, cancellationToken) is { } cached)
        {
            Touch(directory);
            logger.LogDebug("Repository snapshot {Repository}@{Sha} served from the cache", repository, sha);
            return (cached, null);
        }

        Directory.CreateDirectory(Root);
        var temporary = Path.Combine(Root, $"{TemporaryPrefix}{key}-{Guid.NewGuid():N}");
        try
        {
            var uri = ApiUrls.RepositoryArchiveLink(repository.Owner, repository.Name, ArchiveFormat.Tarball, sha);
            var response = await client.Connection.GetRawStream(uri, null);
            await using var body = response.Body
                ?? throw new InvalidDataException("GitHub answered the tarball request without a gzip body");
            var started = timeProvider.GetTimestamp();
            var result = await TarballExtractor.ExtractAsync(
                body, Path.Combine(temporary, SnapshotManifest.FilesFolder), options.Value.ArchiveMaxBytes, cancellationToken);
            var manifest = new SnapshotManifest(repository.FullName, sha, result.TotalBytes, result.Describe());
            await manifest.WriteAsync(temporary, result.Files, cancellationToken);
            Publish(temporary, directory);
            logger.LogInformation(
                "Cached repository snapshot {Repository}@{Sha}: {FileCount} files, {Bytes} bytes in {ElapsedMs} ms",
                repository, sha, result.Files.Count, result.TotalBytes, (long)timeProvider.GetElapsedTime(started).TotalMilliseconds);
            await EvictAsync(keep: key, cancellationToken);
            Touch(directory);
            return (await SnapshotManifest.TryLoadSnapshotAsync(directory, cancellationToken), null);
        }
        catch (Exception exception) when (GitHubErrors.IsNoAccess(exception))
        {
            logger.LogWarning("No tarball of {Repository}@{Sha}: {Error}", repository, sha, exception.Message);
            return (null, "GitHub did not hand out a tarball of this commit");
        }
        catch (InvalidDataException exception)
        {
            logger.LogWarning("Unreadable tarball of {Repository}@{Sha}: {Error}", repository, sha, exception.Message);
            return (null, "the tarball GitHub sent could not be unpacked");
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    private static void Publish(string temporary, string directory)
    {
        try
        {
            Directory.Move(temporary, directory);
        }
        catch (IOException) when (File.Exists(Path.Combine(directory, SnapshotManifest.FileName)))
        {
            // Another process unpacked the same commit first; its copy is as good as ours.
        }
    }

    private void Touch(string directory)
    {
        try
        {
            File.SetLastWriteTimeUtc(Path.Combine(directory, SnapshotManifest.FileName), timeProvider.GetUtcNow().UtcDateTime);
        }
        catch (IOException)
        {
            // Evicted by another process in between: the snapshot already loaded stays usable until its run ends.
        }
    }

    /// <summary>Deletes least recently used snapshots until the cache fits its cap; snapshots in use stay.</summary>
    private async Task EvictAsync(string keep, CancellationToken cancellationToken)
    {
        await evictionGate.WaitAsync(cancellationToken);
        try
        {
            await EvictLockedAsync(keep, cancellationToken);
        }
        finally
        {
            evictionGate.Release();
        }
    }

    private async Task EvictLockedAsync(string keep, CancellationToken cancellationToken)
    {
        var cap = options.Value.CacheMaxBytes;
        var now = timeProvider.GetUtcNow().UtcDateTime;
        var entries = new List<(string Key, string Path, DateTime LastUse, long Bytes)>();
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(directory);
            if (name.StartsWith(TemporaryPrefix, StringComparison.Ordinal))
            {
                if (now - Directory.GetLastWriteTimeUtc(directory) > StaleTemporaryAge)
                {
                    TryDelete(directory);
                }

                continue;
            }

            var manifestPath = Path.Combine(directory, SnapshotManifest.FileName);
            var manifest = await SnapshotManifest.TryReadAsync(directory, cancellationToken);
            entries.Add((name, directory, File.GetLastWriteTimeUtc(manifestPath), manifest?.TotalBytes ?? 0));
        }

        var total = entries.Sum(e => e.Bytes);
        foreach (var entry in entries.OrderBy(e => e.LastUse))
        {
            if (total <= cap)
            {
                break;
            }

            bool inUse;
            lock (gate)
            {
                inUse = entry.Key == keep || leases.ContainsKey(entry.Key);
            }

            if (inUse)
            {
                continue;
            }

            // Renamed first so no reader ever sees a half-deleted snapshot as complete.
            var doomed = Path.Combine(Root, $"{TemporaryPrefix}evicted-{Guid.NewGuid():N}");
            try
            {
                Directory.Move(entry.Path, doomed);
            }
            catch (IOException)
            {
                continue;
            }

            TryDelete(doomed);
            total -= entry.Bytes;
            logger.LogInformation("Evicted repository snapshot {Snapshot} ({Bytes} bytes) from the cache", entry.Key, entry.Bytes);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the next eviction pass, which removes stale temporary folders.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string SafeName(string name) => SafeNamePattern().Replace(name, "_");

    [GeneratedRegex("^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$")]
    private static partial Regex ShaPattern();

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex SafeNamePattern();
}
