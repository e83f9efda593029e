using System.Text.Json.Nodes;

namespace Runner.Tests.Agent.Support;

/// <summary>
/// A pull request on the harness's repository: the default branch committed to the Git Data store, a feature branch
/// with a change to <c>src/ConfigLoader.cs</c> and a binary file, and the real webhook payloads (octokit/webhooks
/// examples) moved onto it.
/// </summary>
internal sealed class PullRequestScenario
{
    public const int Number = 7;
    public const string HeadRef = "feature/load-or-default";

    /// <summary>The change of the first commit. New-side lines 3–9 are the hunk (added: 6–8).</summary>
    public const string FirstPatch =
        "@@ -3,4 +3,7 @@ namespace Hello;\n public static class ConfigLoader\n {\n     public static Config Load(string path) => Parse(File.ReadAllText(path));\n+\n+    public static Config LoadOrDefault(string path) =>\n+        File.Exists(path) ? Load(path) : null;\n }";

    public const string FirstContent =
        "namespace Hello;\n\npublic static class ConfigLoader\n{\n    public static Config Load(string path) => Parse(File.ReadAllText(path));\n\n    public static Config LoadOrDefault(string path) =>\n        File.Exists(path) ? Load(path) : null;\n}\n";

    /// <summary>The second commit adds line 9, a cache; the pull request's whole diff then covers lines 3–10.</summary>
    public const string SecondContent =
        "namespace Hello;\n\npublic static class ConfigLoader\n{\n    public static Config Load(string path) => Parse(File.ReadAllText(path));\n\n    public static Config LoadOrDefault(string path) =>\n        File.Exists(path) ? Load(path) : null;\n    public static Dictionary<string, Config> Cache = new();\n}\n";

    public const string SecondCommitPatch =
        "@@ -6,4 +6,5 @@ public static class ConfigLoader\n \n     public static Config LoadOrDefault(string path) =>\n         File.Exists(path) ? Load(path) : null;\n+    public static Dictionary<string, Config> Cache = new();\n }";

    public const string SecondPullPatch =
        "@@ -3,4 +3,8 @@ namespace Hello;\n public static class ConfigLoader\n {\n     public static Config Load(string path) => Parse(File.ReadAllText(path));\n+\n+    public static Config LoadOrDefault(string path) =>\n+        File.Exists(path) ? Load(path) : null;\n+    public static Dictionary<string, Config> Cache = new();\n }";

    private readonly AgentHarness agent;

    private PullRequestScenario(AgentHarness agent, string baseSha, string headSha)
    {
        this.agent = agent;
        BaseSha = baseSha;
        HeadSha = headSha;
    }

    public string BaseSha { get; }

    public string HeadSha { get; private set; }

    public static PullRequestScenario Open(AgentHarness agent, bool draft = false)
    {
        var repo = agent.Repo.WithGitData();
        var files = new Dictionary<string, string>(repo.Files) { ["src/ConfigLoader.cs"] = FirstContent, ["assets/logo.png"] = "PNG" };
        var head = repo.PullRequests.SeedBranch(HeadRef, files, "Add LoadOrDefault", parent: repo.Sha);
        repo.PullRequests.AddPullRequest(Number, head, HeadRef, repo.DefaultBranch, repo.Sha,
            [("src/ConfigLoader.cs", "modified", FirstPatch), ("assets/logo.png", "added", null)], draft);
        return new PullRequestScenario(agent, repo.Sha, head);
    }

    /// <summary>A second commit on the branch: the pull request's diff grows, compare(old head…new head) holds only the new line.</summary>
    public string PushSecondCommit()
    {
        var repo = agent.Repo;
        var files = new Dictionary<string, string>(repo.Files) { ["src/ConfigLoader.cs"] = SecondContent, ["assets/logo.png"] = "PNG" };
        var previous = HeadSha;
        HeadSha = repo.PullRequests.SeedBranch(HeadRef, files, "Cache configs", parent: previous);
        repo.PullRequests.Push(Number, HeadSha, [("src/ConfigLoader.cs", "modified", SecondPullPatch), ("assets/logo.png", "added", null)]);
        repo.PullRequests.AddComparison(previous, HeadSha, "ahead", [("src/ConfigLoader.cs", "modified", SecondCommitPatch)]);
        return previous;
    }

    /// <summary><c>pull_request.&lt;action&gt;</c> from the octokit/webhooks example, on this pull request.</summary>
    public string Event(string action, string? before = null, bool draft = false, string sender = AgentHarness.Reporter, string senderType = "User")
    {
        var payload = JsonNode.Parse(File.ReadAllText(AgentHarness.FixturePath(
            action == "synchronize" ? "pull_request.synchronize.json" : "pull_request.opened.json")))!;
        payload["action"] = action;
        payload["number"] = Number;
        MoveRepository(payload);
        var pull = payload["pull_request"]!;
        pull["number"] = Number;
        pull["draft"] = draft;
        pull["html_url"] = $"https://github.com/{agent.Repo.FullName}/pull/{Number}";
        pull["head"]!["sha"] = HeadSha;
        pull["head"]!["ref"] = HeadRef;
        if (before is not null)
        {
            payload["before"] = before;
            payload["after"] = HeadSha;
        }

        payload["sender"]!["login"] = sender;
        payload["sender"]!["type"] = senderType;
        return payload.ToJsonString();
    }

    /// <summary><c>issue_comment.created</c> on the pull request (the issue has <c>pull_request</c>).</summary>
    public string Comment(string body, string login = AgentHarness.Maintainer)
    {
        var payload = JsonNode.Parse(File.ReadAllText(AgentHarness.FixturePath("issue_comment.created.pull_request.json")))!;
        MoveRepository(payload);
        payload["issue"]!["number"] = Number;
        payload["issue"]!["html_url"] = $"https://github.com/{agent.Repo.FullName}/pull/{Number}";
        payload["comment"]!["body"] = body;
        payload["comment"]!["id"] = 991_000 + Random.Shared.Next(1, 1000);
        payload["comment"]!["user"]!["login"] = login;
        payload["sender"]!["login"] = login;
        return payload.ToJsonString();
    }

    internal static void MoveRepository(JsonNode payload, AgentHarness agent)
    {
        var repository = payload["repository"]!;
        repository["name"] = agent.Repo.Name;
        repository["full_name"] = agent.Repo.FullName;
        repository["html_url"] = $"https://github.com/{agent.Repo.FullName}";
        repository["default_branch"] = agent.Repo.DefaultBranch;
    }

    private void MoveRepository(JsonNode payload) => MoveRepository(payload, agent);
}
