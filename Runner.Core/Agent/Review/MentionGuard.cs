using System.Text;
using System.Text.RegularExpressions;

namespace Runner.Core.Agent.Review;

/// <summary>
/// Keeps model text from pinging people: every <c>@user</c> or <c>@org/team</c> in prose is put in an inline
/// code span, where GitHub neither links nor notifies. (A zero-width joiner after the <c>@</c> would also stop the
/// ping, but Runner strips format characters from model output, and an invisible character in posted text is
/// exactly what the prompt-hygiene rules forbid.) Code fences and existing code spans are left alone: GitHub
/// does not notify from code.
/// </summary>
internal static partial class MentionGuard
{
    public static string Neutralise(string text)
    {
        var output = new StringBuilder(text.Length + 16);
        string? fence = null;
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimStart();
            if (fence is not null)
            {
                if (trimmed.StartsWith(fence, StringComparison.Ordinal))
                {
                    fence = null;
                }

                output.Append(line).Append('\n');
                continue;
            }

            if (FenceOpen().Match(trimmed) is { Success: true } open)
            {
                fence = open.Groups[1].Value;
                output.Append(line).Append('\n');
                continue;
            }

            output.Append(OutsideCodeSpans(line)).Append('\n');
        }

        return output.ToString(0, output.Length - 1);
    }

    private static string OutsideCodeSpans(string line)
    {
        var result = new StringBuilder(line.Length + 8);
        var i = 0;
        while (i < line.Length)
        {
            var tick = line.IndexOf('`', i);
            if (tick < 0)
            {
                result.Append(Mention().Replace(line[i..], "`$0`"));
                break;
            }

            result.Append(Mention().Replace(line[i..tick], "`$0`"));
            var run = 0;
            while (tick + run < line.Length && line[tick + run] == '`')
            {
                run++;
            }

            var ticks = new string('`', run);
            var close = line.IndexOf(ticks, tick + run, StringComparison.Ordinal);
            if (close < 0)
            {
                // An unclosed backtick run is literal text on GitHub, so mentions after it still ping.
                result.Append(ticks);
                i = tick + run;
                continue;
            }

            result.Append(line, tick, close + run - tick);
            i = close + run;
        }

        return result.ToString();
    }

    [GeneratedRegex(@"^(`{3,}|~{3,})")]
    private static partial Regex FenceOpen();

    /// <summary>GitHub logins: letters, digits and single hyphens, up to 39 characters; teams as org/team. Not e-mail addresses.</summary>
    [GeneratedRegex(@"(?<![\w@/`.])@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9_.-]+)?(?![\w-])")]
    private static partial Regex Mention();
}
