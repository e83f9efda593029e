using System.Text.RegularExpressions;
using Runner.Core.Agent.Prompting;

namespace Runner.Core.Agent.Comments;

/// <summary>Renders text into the bot's Markdown so that it displays as intended and hides nothing.</summary>
internal static partial class MarkdownText
{
    /// <summary>
    /// The model's own prose, as posted: invisible characters and HTML comments removed, so an answer can
    /// neither hide text from readers nor forge Runner's hidden marker.
    /// </summary>
    public static string ModelProse(string text) => UntrustedText.Clean(text).Trim();

    /// <summary>One line of model or user text for a list item: whitespace collapsed, clipped.</summary>
    public static string OneLine(string text, int maxChars = 300)
    {
        var line = Whitespace().Replace(ModelProse(text), " ").Trim();
        return line.Length <= maxChars ? line : line[..maxChars].TrimEnd() + "…";
    }

    /// <summary>Inline code that survives backticks in the content.</summary>
    public static string Code(string text)
    {
        var clean = OneLine(text, 200);
        var ticks = new string('`', LongestBacktickRun(clean) + 1);
        var pad = clean.StartsWith('`') || clean.EndsWith('`') ? " " : string.Empty;
        return $"{ticks}{pad}{clean}{pad}{ticks}";
    }

    /// <summary>A Markdown blockquote of user text, e.g. the question being answered.</summary>
    public static string Quote(string text, int maxChars = 500) =>
        string.Join('\n', UntrustedText.Clip(UntrustedText.Clean(text).Trim(), maxChars).Split('\n').Select(l => $"> {l}"));

    private static int LongestBacktickRun(string text)
    {
        int longest = 0, current = 0;
        foreach (var c in text)
        {
            current = c == '`' ? current + 1 : 0;
            longest = Math.Max(longest, current);
        }

        return longest;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
