using System.Text.RegularExpressions;
using Octokit;
using Runner.Core.GitHub;

namespace Runner.Core.Agent.Comments;

/// <summary>
/// One comment per issue and task, found again by the hidden marker on its first line
/// (<c>&lt;!-- runner:&lt;task&gt; delivery:&lt;id&gt; --&gt;</c>) and edited in place: a replayed or retried job,
/// or a second run of the same task, updates the comment instead of adding another.
/// </summary>
internal static partial class StickyComments
{
    /// <summary>GitHub rejects comment bodies over 65,536 characters; the marker and footer must survive.</summary>
    public const int MaxBodyChars = 60_000;

    private const int PageSize = 100;
    private const int MaxPages = 20;

    public static string Marker(string task, string delivery) => $"<!-- runner:{task} delivery:{SafeDelivery(delivery)} -->";

    /// <summary>Creates the task's comment or edits the existing one.</summary>
    /// <returns>The comment's id.</returns>
    public static async Task<long> UpsertAsync(
        IGitHubClient client, RepositoryRef repository, int number, string task, string delivery, string body)
    {
        var text = $"{Marker(task, delivery)}\n{(body.Length <= MaxBodyChars ? body : Clip(body))}";
        var existing = await FindAsync(client, repository, number, task);
        if (existing is not null)
        {
            await client.Issue.Comment.Update(repository.Owner, repository.Name, existing.Id, text);
            return existing.Id;
        }

        var created = await client.Issue.Comment.Create(repository.Owner, repository.Name, number, text);
        return created.Id;
    }

    /// <summary>The bot's comment for a task, or null. Only comments written by a bot count, so a user who
    /// pastes a marker cannot redirect the bot's edits.</summary>
    public static async Task<IssueComment?> FindAsync(IGitHubClient client, RepositoryRef repository, int number, string task)
    {
        for (var page = 1; page <= MaxPages; page++)
        {
            var comments = await client.Issue.Comment.GetAllForIssue(
                repository.Owner, repository.Name, number, new ApiOptions { PageSize = PageSize, PageCount = 1, StartPage = page });
            var match = comments.FirstOrDefault(c => IsBot(c.User) && TaskOf(c.Body) == task);
            if (match is not null || comments.Count < PageSize)
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>The task named by a comment's marker, or null when the comment is not one of Runner's.</summary>
    public static string? TaskOf(string? body) =>
        body is not null && MarkerPattern().Match(body) is { Success: true } match ? match.Groups["task"].Value : null;

    /// <summary>Whether the text carries Runner's marker anywhere (used to ignore the bot's own comments).</summary>
    public static bool ContainsMarker(string? body) =>
        body?.Contains("<!-- runner:", StringComparison.Ordinal) ?? false;

    /// <summary>Keeps the start and the footer (the last lines) of an over-long body.</summary>
    private static string Clip(string body)
    {
        var footer = body.LastIndexOf("\n\n---\n", StringComparison.Ordinal);
        var tail = footer >= 0 && body.Length - footer < 1_000 ? body[footer..] : string.Empty;
        return $"{body[..(MaxBodyChars - tail.Length - 100)]}\n\n_[Runner clipped this comment to fit GitHub's size limit.]_{tail}";
    }

    private static bool IsBot(User? user) => user?.Type == AccountType.Bot
        || (user?.Login?.EndsWith("[bot]", StringComparison.OrdinalIgnoreCase) ?? false);

    private static string SafeDelivery(string delivery) => SafeDeliveryPattern().Replace(delivery, string.Empty);

    [GeneratedRegex(@"^<!-- runner:(?<task>[a-z0-9-]+) delivery:[A-Za-z0-9._-]* -->")]
    private static partial Regex MarkerPattern();

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex SafeDeliveryPattern();
}
