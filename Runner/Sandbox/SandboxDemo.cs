using System.Text.Json.Nodes;

namespace Runner.Sandbox;

/// <summary>What <c>runner sandbox [triage|review|fix]</c> shows.</summary>
internal enum SandboxDemo
{
    /// <summary>A new issue is triaged.</summary>
    Triage,

    /// <summary>A pull request is opened and reviewed, with an inline comment.</summary>
    Review,

    /// <summary>A writer types <c>/runner fix</c> on the demo issue and a draft pull request is opened.</summary>
    Fix,
}

/// <summary>The review and fix demos: their seed, their delivery and what they print.</summary>
internal static class SandboxDemos
{
    public const int PullRequestNumber = 14;
    public const string PullRequestBranch = "feature/greeting-env";

    /// <summary>
    /// The pull request's change: <c>src/main.py</c> reads the greeting from the environment. New-side lines 1–5; line 4
    /// indexes <c>os.environ</c> directly, the demo model's finding.
    /// </summary>
    public const string MainPatch =
        "@@ -1,3 +1,5 @@\n+import os\n from settings import load\n \n-print(load()[\"greeting\"])\n+greeting = os.environ[\"GREETING\"]\n+print(greeting or load()[\"greeting\"])";

    private const string NewMain = "import os\nfrom settings import load\n\ngreeting = os.environ[\"GREETING\"]\nprint(greeting or load()[\"greeting\"])\n";

    /// <summary>Commits the demo repository to the Git Data store; for the review demo, also the pull request.</summary>
    public static void Seed(FakeRepository repository, SandboxDemo demo)
    {
        if (demo == SandboxDemo.Triage)
        {
            return;
        }

        repository.WithGitData();
        if (demo == SandboxDemo.Review)
        {
            var files = new Dictionary<string, string>(repository.Files) { ["src/main.py"] = NewMain };
            var head = repository.PullRequests.SeedBranch(PullRequestBranch, files, "Read the greeting from GREETING", parent: repository.Sha);
            repository.PullRequests.AddPullRequest(PullRequestNumber, head, PullRequestBranch, repository.DefaultBranch, repository.Sha,
                [("src/main.py", "modified", MainPatch)]);
        }
    }

    public static (string Event, string Payload) Delivery(FakeRepository repository, SandboxDemo demo) => demo switch
    {
        SandboxDemo.Review => ("pull_request", PullRequestOpened(repository)),
        SandboxDemo.Fix => ("issue_comment", FixComment()),
        _ => ("issues", DemoRepository.IssueOpenedPayload()),
    };

    public static int Target(SandboxDemo demo) => demo == SandboxDemo.Review ? PullRequestNumber : DemoRepository.NewIssueNumber;

    /// <summary>Prints the review and its inline comments, or the draft pull request and its files.</summary>
    public static async Task PrintAsync(FakeRepository repository, SandboxDemo demo, TextWriter output)
    {
        if (demo == SandboxDemo.Review)
        {
            foreach (var review in repository.PullRequests.ReviewsOf(PullRequestNumber))
            {
                await output.WriteLineAsync($"----- review ({review["event_received"]}) on {repository.FullName}#{PullRequestNumber} at {review["commit_id"]} -----");
                await output.WriteLineAsync(review["body"]!.GetValue<string>());
                await output.WriteLineAsync("-----");
            }

            foreach (var comment in repository.PullRequests.ReviewCommentsOf(PullRequestNumber))
            {
                await output.WriteLineAsync($"----- inline comment on {comment["path"]} line {comment["line"]} (side RIGHT) -----");
                await output.WriteLineAsync(comment["body"]!.GetValue<string>());
                await output.WriteLineAsync("-----");
            }
        }
        else if (demo == SandboxDemo.Fix)
        {
            foreach (var pull in repository.PullRequests.PullRequests)
            {
                var branch = pull["head"]!["ref"]!.GetValue<string>();
                await output.WriteLineAsync($"----- pull request #{pull["number"]} ({(pull["draft"]!.GetValue<bool>() ? "draft" : "ready")}) {branch} → {pull["base"]!["ref"]} -----");
                await output.WriteLineAsync($"Title: {pull["title"]}");
                await output.WriteLineAsync(pull["body"]?.GetValue<string>() ?? string.Empty);
                var head = repository.PullRequests.BranchSha(branch)!;
                var files = repository.PullRequests.FilesAt(head);
                foreach (var (path, content) in files.Where(f => repository.Files.GetValueOrDefault(f.Key) != f.Value))
                {
                    await output.WriteLineAsync($"--- {path} on {branch} ---");
                    await output.WriteLineAsync(content.TrimEnd('\n'));
                }

                await output.WriteLineAsync("-----");
            }
        }
    }

    /// <summary>True when the demo did what it shows.</summary>
    public static bool Succeeded(FakeRepository repository, SandboxDemo demo) => demo switch
    {
        SandboxDemo.Review => repository.PullRequests.ReviewsOf(PullRequestNumber).Count == 1 && repository.PullRequests.ReviewCommentsOf(PullRequestNumber).Count > 0,
        SandboxDemo.Fix => repository.PullRequests.PullRequests.Count == 1,
        _ => true,
    };

    private static string PullRequestOpened(FakeRepository repository)
    {
        var pull = repository.PullRequests.PullRequests.Single();
        var payload = JsonNode.Parse(DemoRepository.IssueOpenedPayload())!.AsObject();
        payload.Remove("issue");
        payload["number"] = PullRequestNumber;
        payload["pull_request"] = new JsonObject
        {
            ["url"] = $"https://api.github.com/repos/{repository.FullName}/pulls/{PullRequestNumber}",
            ["html_url"] = $"https://github.com/{repository.FullName}/pull/{PullRequestNumber}",
            ["number"] = PullRequestNumber,
            ["state"] = "open",
            ["draft"] = false,
            ["title"] = "Read the greeting from the GREETING environment variable",
            ["body"] = "Lets operators change the greeting without a settings file.",
            ["user"] = new JsonObject { ["login"] = "mona", ["type"] = "User" },
            ["head"] = new JsonObject { ["ref"] = PullRequestBranch, ["sha"] = pull["head"]!["sha"]!.DeepClone() },
            ["base"] = new JsonObject { ["ref"] = repository.DefaultBranch, ["sha"] = repository.Sha },
        };
        return payload.ToJsonString();
    }

    private static string FixComment()
    {
        var payload = JsonNode.Parse(DemoRepository.IssueOpenedPayload())!.AsObject();
        payload["action"] = "created";
        payload["comment"] = new JsonObject
        {
            ["id"] = 1_900_000_001,
            ["body"] = "/runner fix fall back to the defaults when the file is missing",
            ["user"] = new JsonObject { ["login"] = "mona", ["type"] = "User" },
            ["html_url"] = $"https://github.com/{DemoRepository.Owner}/{DemoRepository.Name}/issues/{DemoRepository.NewIssueNumber}#issuecomment-1900000001",
        };
        return payload.ToJsonString();
    }
}
