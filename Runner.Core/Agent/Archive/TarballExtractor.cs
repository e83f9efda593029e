using System.Formats.Tar;
using System.IO.Compression;

namespace Runner.Core.Agent.Archive;

/// <param name="Truncated">Why extraction stopped early (a size cap), or null when the whole archive was read.</param>
internal sealed record ExtractionResult(
    IReadOnlyList<SnapshotFile> Files,
    int SkippedBinary,
    int SkippedLarge,
    int SkippedLinks,
    int SkippedUnsafe,
    string? Truncated)
{
    public long TotalBytes => Files.Sum(f => f.Size);

    /// <summary>One sentence for the model and the reader about what the snapshot lacks, or null.</summary>
    public string? Describe()
    {
        var parts = new List<string>();
        AddCount(parts, SkippedBinary, "binary file", "binary files");
        AddCount(parts, SkippedLarge, $"file over {ByteSize.Format(TarballExtractor.MaxFileBytes)}", $"files over {ByteSize.Format(TarballExtractor.MaxFileBytes)}");
        AddCount(parts, SkippedLinks, "symbolic or hard link", "symbolic or hard links");
        AddCount(parts, SkippedUnsafe, "entry with an unsafe path", "entries with an unsafe path");
        var skipped = parts.Count == 0 ? null : $"Skipped {string.Join(", ", parts)}.";
        var truncated = Truncated is null ? null : $"Only part of the repository was read: {Truncated}.";
        return skipped is null && truncated is null ? null : string.Join(' ', new[] { truncated, skipped }.OfType<string>());
    }

    private static void AddCount(List<string> parts, int count, string one, string many)
    {
        if (count > 0)
        {
            parts.Add(count == 1 ? $"1 {one}" : $"{count} {many}");
        }
    }
}

/// <summary>
/// Unpacks a GitHub tarball (<c>owner-repo-sha/…</c>, gzip) safely: regular text files only, every path
/// checked to stay inside the target directory, links never followed or created, huge and binary files
/// skipped, and the download and the unpacked size capped.
/// </summary>
internal static class TarballExtractor
{
    public const int MaxFileBytes = 1024 * 1024;
    private const int BinaryProbeBytes = 8000;

    /// <summary>A gzip stream can expand this many times its cap before extraction stops: a bomb costs bounded CPU.</summary>
    private const int MaxExpansion = 10;

    public static async Task<ExtractionResult> ExtractAsync(
        Stream gzipped, string filesRoot, long maxBytes, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(filesRoot);
        Directory.CreateDirectory(root);
        var rootPrefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        var files = new List<SnapshotFile>();
        int binary = 0, large = 0, links = 0, unsafePaths = 0;
        long kept = 0;
        string? truncated = null;

        var compressed = new CappedReadStream(gzipped, maxBytes, "the repository archive");
        await using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        await using var unpacked = new CappedReadStream(gzip, maxBytes * MaxExpansion, "the unpacked repository archive");
        await using var reader = new TarReader(unpacked);
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                {
                    links++;
                    continue;
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                {
                    continue;
                }

                var relative = SafeRelativePath(entry.Name);
                var target = relative is null ? null : Path.GetFullPath(Path.Combine(root, relative));
                if (relative is null || target is null || !target.StartsWith(rootPrefix, StringComparison.Ordinal))
                {
                    unsafePaths++;
                    continue;
                }

                if (entry.Length > MaxFileBytes)
                {
                    large++;
                    continue;
                }

                if (kept + entry.Length > maxBytes)
                {
                    truncated = $"its text files are larger than {ByteSize.Format(maxBytes)}";
                    break;
                }

                var content = new byte[entry.Length];
                if (entry.DataStream is { } data)
                {
                    await data.ReadExactlyAsync(content, cancellationToken);
                }

                if (content.AsSpan(0, Math.Min(content.Length, BinaryProbeBytes)).Contains((byte)0))
                {
                    binary++;
                    continue;
                }

                if (!await TryWriteNewFileAsync(target, content, cancellationToken))
                {
                    unsafePaths++;
                    continue;
                }

                kept += content.Length;
                files.Add(new SnapshotFile(relative, content.Length));
            }
        }
        catch (SizeCapExceededException exception)
        {
            truncated = exception.Message;
        }

        return new ExtractionResult(files, binary, large, links, unsafePaths, truncated);
    }

    /// <summary>The entry's path without GitHub's top-level <c>owner-repo-sha/</c> folder, or null when unsafe.</summary>
    internal static string? SafeRelativePath(string entryName)
    {
        if (entryName.Length == 0 || entryName.Contains('\\', StringComparison.Ordinal) || entryName.StartsWith('/')
            || entryName.Any(char.IsControl))
        {
            return null;
        }

        var segments = entryName.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length < 2 || segments.Any(s => s is "." or ".."))
        {
            return null;
        }

        return string.Join('/', segments.Skip(1));
    }

    private static async Task<bool> TryWriteNewFileAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // CreateNew: a second entry with the same name never overwrites the first.
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            await file.WriteAsync(content, cancellationToken);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
