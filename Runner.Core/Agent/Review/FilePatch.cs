using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Runner.Core.Agent.Review;

internal enum DiffLineKind
{
    Context,
    Added,
    Removed,
}

/// <param name="NewLine">The line's number on the new (RIGHT) side; null for a removed line.</param>
/// <param name="OldLine">The line's number on the old (LEFT) side; null for an added line.</param>
internal sealed record DiffLine(DiffLineKind Kind, int? OldLine, int? NewLine, string Text);

internal sealed record DiffHunk(int OldStart, int OldCount, int NewStart, int NewCount, string Section, IReadOnlyList<DiffLine> Lines);

/// <summary>
/// One file's unified diff as GitHub sends it in the <c>patch</c> field of <c>pulls/{n}/files</c> and
/// <c>compare</c>: hunks without the <c>---</c>/<c>+++</c> header. The RIGHT-side lines (added and context lines
/// inside a hunk) are the only lines a review comment with <c>side: RIGHT</c> may be anchored to.
/// </summary>
internal sealed partial class FilePatch
{
    private readonly HashSet<int> rightLines;

    private FilePatch(IReadOnlyList<DiffHunk> hunks)
    {
        Hunks = hunks;
        rightLines = [.. hunks.SelectMany(h => h.Lines).Where(l => l.NewLine is not null).Select(l => l.NewLine!.Value)];
    }

    public IReadOnlyList<DiffHunk> Hunks { get; }

    /// <summary>New-side line numbers a review comment may be anchored to.</summary>
    public IReadOnlySet<int> RightLines => rightLines;

    public static FilePatch Empty { get; } = new([]);

    /// <summary>Parses a patch; text before the first hunk header (e.g. <c>diff --git</c> lines) is ignored.</summary>
    public static FilePatch Parse(string? patch)
    {
        var hunks = new List<DiffHunk>();
        if (string.IsNullOrEmpty(patch))
        {
            return Empty;
        }

        var lines = patch.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length;)
        {
            var header = HunkHeader().Match(lines[i]);
            i++;
            if (!header.Success)
            {
                continue;
            }

            var oldStart = Number(header.Groups["os"].Value, 0);
            var oldCount = Number(header.Groups["oc"].Value, 1);
            var newStart = Number(header.Groups["ns"].Value, 0);
            var newCount = Number(header.Groups["nc"].Value, 1);
            int oldLine = oldStart, newLine = newStart, oldLeft = oldCount, newLeft = newCount;
            var body = new List<DiffLine>();
            while (i < lines.Length && (oldLeft > 0 || newLeft > 0 || lines[i].StartsWith('\\')))
            {
                var line = lines[i];
                if (line.StartsWith('\\'))
                {
                    // "\ No newline at end of file" belongs to the line before it.
                    i++;
                    continue;
                }

                if (HunkHeader().IsMatch(line))
                {
                    break;
                }

                var text = line.Length > 0 ? line[1..] : string.Empty;
                switch (line.Length > 0 ? line[0] : ' ')
                {
                    case '+':
                        body.Add(new DiffLine(DiffLineKind.Added, null, newLine++, text));
                        newLeft--;
                        break;
                    case '-':
                        body.Add(new DiffLine(DiffLineKind.Removed, oldLine++, null, text));
                        oldLeft--;
                        break;
                    default:
                        body.Add(new DiffLine(DiffLineKind.Context, oldLine++, newLine++, text));
                        oldLeft--;
                        newLeft--;
                        break;
                }

                i++;
            }

            hunks.Add(new DiffHunk(oldStart, oldCount, newStart, newCount, header.Groups["section"].Value.Trim(), body));
        }

        return new FilePatch(hunks);
    }

    /// <summary>
    /// The hunks for the model, every line prefixed with its new-side number (blank for removed lines), so
    /// the model names lines a comment can be anchored to instead of counting from the hunk header.
    /// </summary>
    public string Render()
    {
        var width = Math.Max(1, Hunks.SelectMany(h => h.Lines).Select(l => l.NewLine ?? 0).DefaultIfEmpty(0).Max()
            .ToString(CultureInfo.InvariantCulture).Length);
        var text = new StringBuilder();
        foreach (var hunk in Hunks)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"@@ -{hunk.OldStart},{hunk.OldCount} +{hunk.NewStart},{hunk.NewCount} @@{(hunk.Section.Length > 0 ? " " + hunk.Section : string.Empty)}\n");
            foreach (var line in hunk.Lines)
            {
                var number = line.NewLine?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;
                var sign = line.Kind switch { DiffLineKind.Added => '+', DiffLineKind.Removed => '-', _ => ' ' };
                text.Append(number.PadLeft(width)).Append(' ').Append(sign).Append(' ').Append(line.Text).Append('\n');
            }
        }

        return text.ToString().TrimEnd('\n');
    }

    private static int Number(string text, int missing) =>
        text.Length == 0 ? missing : int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^@@ -(?<os>\d+)(?:,(?<oc>\d+))? \+(?<ns>\d+)(?:,(?<nc>\d+))? @@(?<section>.*)$")]
    private static partial Regex HunkHeader();
}
