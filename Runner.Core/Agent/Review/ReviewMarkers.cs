using System.Globalization;
using System.Text.RegularExpressions;

namespace Runner.Core.Agent.Review;

/// <summary>Where a finding was posted: a path and a new-side line.</summary>
internal sealed record FindingAnchor(string Path, int Line);

/// <summary>
/// Hidden first lines of what Runner posts on a pull request. A review body starts with
/// <c>&lt;!-- runner:review sha:&lt;head sha&gt; --&gt;</c> (the last reviewed commit, where an incremental review
/// starts); each inline comment starts with <c>&lt;!-- runner:finding line:&lt;n&gt; path:&lt;escaped path&gt; --&gt;</c>,
/// the anchor it was posted at, which stays readable after GitHub marks the comment outdated. Model text is
/// cleaned of HTML comments before it is posted, so a model or a diff cannot forge either marker.
/// </summary>
internal static partial class ReviewMarkers
{
    public static string Review(string headSha) => $"<!-- runner:review sha:{headSha} -->";

    public static string Finding(FindingAnchor anchor) =>
        $"<!-- runner:finding line:{anchor.Line.ToString(CultureInfo.InvariantCulture)} path:{Uri.EscapeDataString(anchor.Path)} -->";

    /// <summary>The head SHA an earlier Runner review was made for, or null when the body is not one.</summary>
    public static string? ReviewedSha(string? body) =>
        body is not null && ReviewPattern().Match(body) is { Success: true } match ? match.Groups[1].Value : null;

    public static FindingAnchor? FindingAnchor(string? body)
    {
        if (body is null || FindingPattern().Match(body) is not { Success: true } match)
        {
            return null;
        }

        return int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var line)
            ? new FindingAnchor(Uri.UnescapeDataString(match.Groups[2].Value), line)
            : null;
    }

    [GeneratedRegex(@"\A<!-- runner:review sha:([0-9a-f]{7,64}) -->")]
    private static partial Regex ReviewPattern();

    [GeneratedRegex(@"\A<!-- runner:finding line:(\d{1,9}) path:(\S+) -->")]
    private static partial Regex FindingPattern();
}
