namespace Runner.Core.Agent.Commands;

/// <summary>
/// Finds the first line of a comment that starts with <c>/runner</c>. Lines inside code fences and quoted
/// lines (<c>&gt; …</c>) do not count, so quoting someone's command or documenting it does not run it.
/// </summary>
internal static class RunnerCommandParser
{
    public const string Prefix = "/runner";

    public static RunnerCommand? Parse(string body)
    {
        var lines = body.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        string? fence = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (fence is not null)
            {
                if (line.StartsWith(fence, StringComparison.Ordinal))
                {
                    fence = null;
                }

                continue;
            }

            if (line.StartsWith("```", StringComparison.Ordinal) || line.StartsWith("~~~", StringComparison.Ordinal))
            {
                fence = line[..3];
                continue;
            }

            if (!line.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
                || (line.Length > Prefix.Length && !char.IsWhiteSpace(line[Prefix.Length])))
            {
                continue;
            }

            var rest = line[Prefix.Length..].Trim();
            var space = rest.IndexOfAny([' ', '\t']);
            var name = (space < 0 ? rest : rest[..space]).ToLowerInvariant();
            var firstLine = space < 0 ? string.Empty : rest[(space + 1)..];
            var argument = string.Join('\n', new[] { firstLine }.Concat(lines.Skip(i + 1))).Trim();
            var kind = name switch
            {
                "" or "help" => RunnerCommandKind.Help,
                "ask" => RunnerCommandKind.Ask,
                "triage" => RunnerCommandKind.Triage,
                "review" => RunnerCommandKind.Review,
                "fix" => RunnerCommandKind.Fix,
                _ => RunnerCommandKind.Unknown,
            };
            return new RunnerCommand(kind, name, argument);
        }

        return null;
    }
}
