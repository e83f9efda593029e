using System.Globalization;
using System.Text;
using System.Text.Json;
using Runner.Core.Agent.Archive;
using Runner.Core.Agent.Loop;
using Runner.Core.Agent.Prompting;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Tools;

/// <summary>A file range the model read, for the "files consulted" list of the answer.</summary>
internal sealed record FileRead(string Path, int FirstLine, int LastLine);

/// <summary>
/// <c>list_files</c>, <c>read_file</c> and <c>search_code</c> over one commit of the repository. The snapshot is
/// fetched on the first call only, so a run that needs no code costs no download. Paths are checked against
/// the snapshot's own file list (never joined blindly onto the disk), and ignored paths do not exist for the model.
/// </summary>
internal sealed class RepositoryTools(Func<CancellationToken, Task<SnapshotLease>> acquireSnapshot, PathFilter ignore)
    : IToolExecutor, IDisposable
{
    public const string ListFilesName = "list_files";
    public const string ReadFileName = "read_file";
    public const string SearchCodeName = "search_code";

    private const int MaxListEntries = 300;
    private const int MaxSearchMatches = 50;
    private const int MaxMatchLineChars = 200;

    private readonly List<FileRead> filesRead = [];
    private SnapshotLease? lease;

    public static IReadOnlyList<ToolDefinition> All { get; } =
    [
        Define(ListFilesName,
            "List the files of the repository's default branch. Without arguments lists the top level.",
            """{"type":"object","properties":{"path":{"type":"string","description":"Folder to list, e.g. src/Api. Empty for the root."},"recursive":{"type":"boolean","description":"List every file below the folder instead of its direct entries."}}}"""),
        Define(ReadFileName,
            "Read a text file of the repository, with line numbers. Long files come in parts: pass start_line to continue.",
            """{"type":"object","properties":{"path":{"type":"string","description":"File path relative to the repository root."},"start_line":{"type":"integer","description":"First line to read (1-based)."},"end_line":{"type":"integer","description":"Last line to read."}},"required":["path"]}"""),
        Define(SearchCodeName,
            "Search the repository's text files for a literal string (case-insensitive). Returns path:line: text for each match.",
            """{"type":"object","properties":{"query":{"type":"string","description":"Text to find, at least 2 characters."},"path":{"type":"string","description":"Only search below this folder."}},"required":["query"]}"""),
    ];

    public IReadOnlyList<ToolDefinition> Definitions => All;

    public IReadOnlyList<FileRead> FilesRead => filesRead;

    /// <summary>The commit the tools read, once a tool fetched it.</summary>
    public RepositorySnapshot? Snapshot => lease?.Snapshot;

    public string Describe(ToolCall call)
    {
        var path = ToolArguments.String(call.Arguments, "path");
        return call.Name switch
        {
            ListFilesName => $"list_files {(string.IsNullOrEmpty(path) ? "/" : path)}",
            ReadFileName => $"read_file {path}",
            SearchCodeName => $"search_code \"{MarkdownSafe(ToolArguments.String(call.Arguments, "query"))}\"{(string.IsNullOrEmpty(path) ? string.Empty : $" in {path}")}",
            _ => $"{MarkdownSafe(call.Name)} (unknown tool)",
        };
    }

    public async Task<string> ExecuteAsync(ToolCall call, int maxChars, CancellationToken cancellationToken)
    {
        if (call.Name is not (ListFilesName or ReadFileName or SearchCodeName))
        {
            return $"Error: there is no tool named '{MarkdownSafe(call.Name)}'. Available: {ListFilesName}, {ReadFileName}, {SearchCodeName}.";
        }

        lease ??= await acquireSnapshot(cancellationToken);
        if (lease.Snapshot is not { } snapshot)
        {
            return $"Error: the repository's files are unavailable ({lease.UnavailableReason}). Answer from the issue alone and say so.";
        }

        var output = call.Name switch
        {
            ListFilesName => ListFiles(snapshot, call.Arguments, maxChars),
            ReadFileName => await ReadFileAsync(snapshot, call.Arguments, maxChars, cancellationToken),
            _ => await SearchAsync(snapshot, call.Arguments, maxChars, cancellationToken),
        };
        return snapshot.Note is null ? output : $"{output}\nNote: {snapshot.Note}";
    }

    public void Dispose() => lease?.Dispose();

    private string ListFiles(RepositorySnapshot snapshot, JsonElement arguments, int maxChars)
    {
        if (NormalizePath(ToolArguments.String(arguments, "path")) is not { } folder)
        {
            return "Error: invalid path.";
        }

        var prefix = folder.Length == 0 ? string.Empty : folder + "/";
        var files = Visible(snapshot).Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (files.Count == 0)
        {
            return snapshot.Contains(folder) && !ignore.IsIgnored(folder)
                ? $"Error: {folder} is a file; use {ReadFileName}."
                : $"Error: there is no folder '{folder}' in the repository.";
        }

        List<string> entries;
        if (ToolArguments.Bool(arguments, "recursive"))
        {
            entries = files.Select(f => $"{f.Path} ({ByteSize.Format(f.Size)})").ToList();
        }
        else
        {
            entries = files
                .GroupBy(f => f.Path[prefix.Length..].Split('/')[0], StringComparer.Ordinal)
                .Select(g => g.Count() == 1 && g.First().Path.Length == prefix.Length + g.Key.Length
                    ? $"{prefix}{g.Key} ({ByteSize.Format(g.First().Size)})"
                    : $"{prefix}{g.Key}/ ({g.Count()} files)")
                .ToList();
        }

        var shown = entries.Take(MaxListEntries).ToList();
        var header = $"{entries.Count} entries in {(folder.Length == 0 ? "the repository root" : folder)} at commit {snapshot.Sha[..12]}"
            + (shown.Count < entries.Count ? $" (first {shown.Count} shown; list a subfolder for more)" : string.Empty) + ":";
        return Fenced(header, string.Join('\n', shown), maxChars);
    }

    private async Task<string> ReadFileAsync(RepositorySnapshot snapshot, JsonElement arguments, int maxChars, CancellationToken cancellationToken)
    {
        var path = NormalizePath(ToolArguments.String(arguments, "path"));
        if (path is null)
        {
            return "Error: invalid path.";
        }

        if (path.Length == 0)
        {
            return "Error: read_file needs a file path.";
        }

        if (ignore.IsIgnored(path))
        {
            return $"Error: {path} is excluded by the repository's configuration (ignore in .github/runner.yml).";
        }

        if (!snapshot.Contains(path))
        {
            var name = path.Split('/')[^1];
            var similar = Visible(snapshot).Where(f => f.Path.EndsWith("/" + name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(f.Path, name, StringComparison.OrdinalIgnoreCase)).Take(5).Select(f => f.Path).ToList();
            return $"Error: there is no text file '{path}' in the repository (binary and very large files are not available)."
                + (similar.Count > 0 ? $" Similar: {string.Join(", ", similar)}." : string.Empty);
        }

        string text;
        try
        {
            text = UntrustedText.RemoveInvisible(await snapshot.ReadTextAsync(path, cancellationToken));
        }
        catch (IOException)
        {
            return $"Error: {path} could not be read from the cache; try again.";
        }

        var lines = text.Split('\n');
        var total = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        var first = Math.Clamp(ToolArguments.Int(arguments, "start_line") ?? 1, 1, Math.Max(1, total));
        var last = Math.Clamp(ToolArguments.Int(arguments, "end_line") ?? total, first, Math.Max(first, total));
        var budget = maxChars - 300;
        var body = new StringBuilder();
        var shownLast = first - 1;
        var width = last.ToString(CultureInfo.InvariantCulture).Length;
        for (var line = first; line <= last && line <= lines.Length; line++)
        {
            var numbered = $"{line.ToString(CultureInfo.InvariantCulture).PadLeft(width)}| {lines[line - 1]}\n";
            if (body.Length + numbered.Length > budget && shownLast >= first)
            {
                break;
            }

            body.Append(numbered);
            shownLast = line;
        }

        filesRead.Add(new FileRead(path, first, shownLast));
        var header = $"{path}, lines {first}-{shownLast} of {total}"
            + (shownLast < last ? $" (clipped to fit the budget; call {ReadFileName} with start_line={shownLast + 1} to continue)" : string.Empty) + ":";
        return Fenced(header, body.ToString().TrimEnd('\n'), maxChars);
    }

    private async Task<string> SearchAsync(RepositorySnapshot snapshot, JsonElement arguments, int maxChars, CancellationToken cancellationToken)
    {
        var query = UntrustedText.RemoveInvisible(ToolArguments.String(arguments, "query") ?? string.Empty).Trim();
        if (query.Length < 2 || query.Length > 200)
        {
            return "Error: search_code needs a query of 2 to 200 characters.";
        }

        if (NormalizePath(ToolArguments.String(arguments, "path")) is not { } folder)
        {
            return "Error: invalid path.";
        }

        var prefix = folder.Length == 0 ? string.Empty : folder + "/";
        var matches = new List<string>();
        var filesSearched = 0;
        var truncated = false;
        foreach (var file in Visible(snapshot).Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal)))
        {
            filesSearched++;
            string text;
            try
            {
                text = await snapshot.ReadTextAsync(file.Path, cancellationToken);
            }
            catch (IOException)
            {
                continue;
            }

            if (!text.Contains(query, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length && !truncated; i++)
            {
                if (lines[i].Contains(query, StringComparison.OrdinalIgnoreCase))
                {
                    var line = UntrustedText.RemoveInvisible(lines[i]).Trim();
                    matches.Add($"{file.Path}:{i + 1}: {(line.Length > MaxMatchLineChars ? line[..MaxMatchLineChars] + "…" : line)}");
                    truncated = matches.Count >= MaxSearchMatches;
                }
            }

            if (truncated)
            {
                break;
            }
        }

        if (matches.Count == 0)
        {
            return $"No matches for \"{query}\" in {filesSearched} files{(folder.Length == 0 ? string.Empty : $" under {folder}")}.";
        }

        var header = $"{matches.Count} matches for \"{query}\""
            + (truncated ? $" (stopped at {MaxSearchMatches}; narrow the query or the path)" : string.Empty) + ":";
        return Fenced(header, string.Join('\n', matches), maxChars);
    }

    private IEnumerable<SnapshotFile> Visible(RepositorySnapshot snapshot) => snapshot.Files.Where(f => !ignore.IsIgnored(f.Path));

    /// <summary>File names and contents are repository data, so they are fenced like any untrusted text.</summary>
    private static string Fenced(string header, string content, int maxChars) =>
        $"{header}\n{UntrustedText.Fence(UntrustedText.Clip(content, Math.Max(200, maxChars - header.Length - 60)))}";

    /// <returns>A relative path with forward slashes ("" for the root), or null when it tries to leave the repository.</returns>
    internal static string? NormalizePath(string? raw)
    {
        var path = (raw ?? string.Empty).Trim().Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Any(s => s == "..") ? null : string.Join('/', segments.Where(s => s != "."));
    }

    private static string MarkdownSafe(string? text) =>
        new((text ?? string.Empty).Where(c => !char.IsControl(c) && c is not ('`' or '<' or '>')).Take(80).ToArray());

    private static ToolDefinition Define(string name, string description, string schema)
    {
        using var document = JsonDocument.Parse(schema);
        return new ToolDefinition(name, description, document.RootElement.Clone());
    }
}
