using System.Text;
using System.Text.RegularExpressions;

namespace Runner.Core.Agent.Tools;

/// <summary>
/// The <c>ignore</c> paths of <c>.github/runner.yml</c>, with .gitignore-like meaning: <c>vendor/</c> or
/// <c>vendor/**</c> is a folder, <c>*.min.js</c> (no slash) matches a name at any depth, <c>/build</c> is
/// anchored at the root, <c>**</c> crosses folders, <c>*</c> and <c>?</c> do not.
/// </summary>
internal sealed class PathFilter
{
    private readonly IReadOnlyList<Regex> patterns;

    public PathFilter(IEnumerable<string> globs) =>
        patterns = globs.Select(g => g.Trim()).Where(g => g.Length > 0 && !g.StartsWith('#')).Select(ToRegex).ToList();

    public static PathFilter None { get; } = new([]);

    public bool IsIgnored(string path) => patterns.Any(p => p.IsMatch(path));

    private static Regex ToRegex(string glob)
    {
        var anchored = glob.StartsWith('/');
        var body = glob.Trim('/');
        if (body.EndsWith("/**", StringComparison.Ordinal))
        {
            body = body[..^3];
        }

        var pattern = new StringBuilder("^");
        if (!anchored && !body.Contains('/', StringComparison.Ordinal))
        {
            pattern.Append("(?:.*/)?");
        }

        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == '*' && i + 1 < body.Length && body[i + 1] == '*')
            {
                var slash = i + 2 < body.Length && body[i + 2] == '/';
                pattern.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                pattern.Append(body[i] switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    var c => Regex.Escape(c.ToString()),
                });
            }
        }

        // A pattern naming a folder covers everything inside it.
        pattern.Append("(?:/.*)?$");
        return new Regex(pattern.ToString(), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
    }
}
