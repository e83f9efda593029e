using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Octokit;
using Runner.Core.Agent.Webhooks;
using Runner.Core.GitHub;
using Runner.Core.Queue;

namespace Runner.Core.Agent.Triage;

/// <summary>
/// Gathers issues the model may call duplicates: a keyword search over the repository's issues (open and
/// closed: "already fixed in #12" is worth knowing) and the most recent open issues. The model can only
/// pick from this list, so every duplicate link in the comment points at a real issue.
/// </summary>
internal static partial class TriageCandidates
{
    public const int MaxCandidates = 30;
    private const int RecentCount = 30;
    private const int SearchCount = 10;
    private const int MaxKeywords = 6;

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "the", "and", "for", "with", "when", "not", "does", "doesn", "are", "was", "from", "that", "this", "into",
        "after", "before", "can", "cannot", "can't", "should", "would", "will", "have", "has", "but", "any", "all",
        "bug", "issue", "error", "problem", "feature", "request", "how", "what", "why", "use", "using",
    };

    public static async Task<IReadOnlyList<CandidateIssue>> FindAsync(
        IGitHubClient client, RepositoryRef repository, IssueInfo issue, ILogger logger)
    {
        var found = new List<Issue>();
        var keywords = Keywords(issue.Title);
        if (keywords.Count > 0)
        {
            try
            {
                var request = new SearchIssuesRequest(string.Join(" OR ", keywords))
                {
                    Repos = [repository.FullName],
                    Type = IssueTypeQualifier.Issue,
                    In = [IssueInQualifier.Title, IssueInQualifier.Body],
                    PerPage = SearchCount,
                };
                found.AddRange((await client.Search.SearchIssues(request)).Items);
            }
            catch (Exception exception) when (GitHubErrors.IsGitHubFailure(exception))
            {
                // Search has its own, tighter rate limit; the recent issues below still give the model candidates.
                logger.LogWarning("Issue search for {Repository}#{Number} failed, using recent issues only: {Error}",
                    repository, issue.Number, exception.Message);
            }
        }

        var recent = await client.Issue.GetAllForRepository(
            repository.Owner,
            repository.Name,
            new RepositoryIssueRequest { State = ItemStateFilter.Open, SortProperty = IssueSort.Created, SortDirection = SortDirection.Descending },
            new ApiOptions { PageSize = RecentCount, PageCount = 1 });
        found.AddRange(recent);

        return found
            .Where(i => i.PullRequest is null && i.Number != issue.Number)
            .DistinctBy(i => i.Number)
            .Take(MaxCandidates)
            .Select(i => new CandidateIssue(i.Number, i.Title ?? string.Empty, i.Body ?? string.Empty, i.HtmlUrl,
                i.State.StringValue != "closed"))
            .ToList();
    }

    internal static IReadOnlyList<string> Keywords(string title) =>
        Word().Matches(title.ToLowerInvariant())
            .Select(m => m.Value.Trim('.', '-', '_'))
            .Where(w => w.Length >= 3 && !StopWords.Contains(w))
            .Distinct()
            .Take(MaxKeywords)
            .ToList();

    [GeneratedRegex(@"[\p{L}\p{N}_.-]+")]
    private static partial Regex Word();
}
