using Octokit;
using Runner.Core.Agent.Archive;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Loop;
using Runner.Core.Agent.RepoConfig;
using Runner.Core.Agent.Tools;
using Runner.Core.Agent.Webhooks;
using Runner.Core.GitHub;
using Runner.Core.Queue;

namespace Runner.Core.Agent;

/// <summary>Everything one triage or ask run works from: the event, the client, the commit and the configuration.</summary>
/// <param name="Sha">The default branch's head commit: the tools read it, links point at it (a review reads the pull request's head).</param>
/// <param name="DefaultBranch">The repository's default branch, whose head is <paramref name="Sha"/> unless a review changed it.</param>
internal sealed record IssueRun(
    Job Job,
    IssueWebhook Event,
    IGitHubClient Client,
    string Sha,
    LoadedRepositoryConfig Config,
    AgentBudget Budget,
    RunMeter Meter,
    string DefaultBranch)
{
    public RepositoryRef Repository => Event.Repository;

    public IssueInfo Issue => Event.Issue;

    /// <summary>The grounding tools over this run's commit, honouring the configuration's ignore paths.</summary>
    public RepositoryTools CreateTools(RepositoryArchiveCache archiveCache) =>
        new(ct => archiveCache.AcquireAsync(Client, Repository, Sha, ct), new PathFilter(Config.Config.Ignore));

    public string BlobUrl(string path, int firstLine, int lastLine) =>
        $"{Event.RepositoryHtmlUrl}/blob/{Sha}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}#L{firstLine}-L{lastLine}";
}

/// <summary>What a task posts: the comment body without marker and footer, and what it cost.</summary>
internal sealed record TaskOutcome(string Body, string? Model, int Tokens);
