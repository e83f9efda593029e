using System.Text.Json.Nodes;
using Runner.Core.Agent.Fix;
using Runner.Core.GitHub;
using Runner.Tests.Agent.Support;

namespace Runner.Tests.Agent.Fix;

/// <summary>
/// <c>/runner fix</c> and the <c>runner:fix</c> label through the real handler, Octokit over loopback and the stand-in's Git
/// Data API: one draft pull request on <c>runner/issue-&lt;n&gt;</c>, updated by a second run, and every safety rule.
/// </summary>
public sealed class FixEndToEndTests
{
    private const int Issue = AgentHarness.IssueNumber;
    private const string Branch = "runner/issue-42";

    private const string FixedLoader =
        "namespace Hello;\n\npublic static class ConfigLoader\n{\n    public static Config Load(string path) =>\n        File.Exists(path) ? Parse(File.ReadAllText(path)) : Config.Default;\n}\n";

    [Test]
    public async Task Runner_fix_opens_one_draft_pull_request_and_a_second_run_updates_it()
    {
        await using var agent = await AgentHarness.StartAsync();
        var baseSha = agent.Repo.WithGitData().Sha;
        agent.Llm.CallTools(("read_file", new { path = "src/ConfigLoader.cs" }))
            .CallTools(("write_file", new { path = "src/ConfigLoader.cs", content = FixedLoader }),
                ("write_file", new { path = ".github/workflows/ci.yml", content = "on: push" }))
            .ReplyJson(new { title = "Fall back to defaults when the config file is missing", body = "Load checks File.Exists. cc @octocat" });

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner fix keep it small"));

        var pull = agent.Repo.PullRequests.PullRequests.Single();
        var head = agent.Repo.PullRequests.BranchSha(Branch)!;
        Assert.Multiple(() =>
        {
            Assert.That(pull["draft"]!.GetValue<bool>(), Is.True);
            Assert.That(pull["head"]!["ref"]!.GetValue<string>(), Is.EqualTo(Branch));
            Assert.That(pull["base"]!["ref"]!.GetValue<string>(), Is.EqualTo("main"));
            Assert.That(pull["title"]!.GetValue<string>(), Is.EqualTo("Fall back to defaults when the config file is missing"));
            Assert.That(pull["body"]!.GetValue<string>(), Does.Contain($"Fixes #{Issue}").And.Contain("`@octocat`"));
            Assert.That(agent.Repo.PullRequests.FilesAt(head)["src/ConfigLoader.cs"], Is.EqualTo(FixedLoader));
            Assert.That(agent.Repo.PullRequests.FilesAt(head).Keys, Has.None.StartsWith(".github/workflows/"), "refused, never committed");
            Assert.That(agent.Repo.PullRequests.CommitParents(head), Is.EqualTo(new[] { baseSha }));
            Assert.That(agent.Repo.PullRequests.BranchSha("main"), Is.EqualTo(baseSha), "the default branch is never written");
            Assert.That(agent.Factory.Requests.Select(r => r.Permissions).Distinct(),
                Is.EquivalentTo(new[] { GitHubPermissions.Fixer, GitHubPermissions.ReadOnly }), "the run's token: contents, pull requests and issues write");
        });
        var comment = agent.Comments.Single();
        Assert.That(comment.Body, Does.StartWith("<!-- runner:fix delivery:delivery-1 -->"));
        Assert.That(comment.Body, Does.Contain($"Opened the draft pull request #{pull["number"]}: {pull["html_url"]}").And.Contain("`src/ConfigLoader.cs`"));
        Assert.That(comment.Body, Does.Contain("refused by rule 'no-workflows'"));
        var refusal = agent.Llm.Requests[2].Messages[^1].Content;
        Assert.That(refusal, Does.StartWith("Error: refused by rule 'no-workflows'"), "the model is told which rule, and the run goes on");
        Assert.That(AgentHarness.UserText(agent.Llm.Requests[0]), Does.Contain("keep it small"));

        agent.Llm.CallTools(("write_file", new { path = "src/ConfigLoader.cs", content = FixedLoader + "// v2\n" }))
            .ReplyJson(new { title = "Fall back to defaults (v2)", body = "Second try." });
        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner fix", commentId: AgentHarness.CommentId + 1), delivery: "delivery-2");

        var again = agent.Repo.PullRequests.PullRequests.Single();
        var newHead = agent.Repo.PullRequests.BranchSha(Branch)!;
        Assert.Multiple(() =>
        {
            Assert.That(again["number"]!.GetValue<int>(), Is.EqualTo(pull["number"]!.GetValue<int>()), "the same pull request, never a second one");
            Assert.That(again["title"]!.GetValue<string>(), Is.EqualTo("Fall back to defaults (v2)"));
            Assert.That(newHead, Is.Not.EqualTo(head));
            Assert.That(agent.Repo.PullRequests.FilesAt(newHead)["src/ConfigLoader.cs"], Does.EndWith("// v2\n"));
            Assert.That(agent.Repo.PullRequests.CommitParents(newHead), Is.EqualTo(new[] { baseSha }), "force-updated onto the default head");
            Assert.That(agent.Comments.Single().Body, Does.Contain($"Updated the draft pull request #{pull["number"]}"));
        });
    }

    [Test]
    public async Task The_runner_fix_label_from_a_writer_opens_a_draft_and_from_others_does_nothing()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithGitData();

        await agent.RunAsync("issues", Labeled(agent, AgentHarness.Reporter));
        Assert.That(agent.Repo.PullRequests.PullRequests, Is.Empty);
        Assert.That(agent.Comments, Is.Empty, "a label from someone without write access is ignored quietly");

        await agent.RunAsync("issues", Labeled(agent, AgentHarness.Maintainer, label: "bug"), delivery: "delivery-2");
        Assert.That(agent.Llm.Requests, Is.Empty, "another label is not a fix request");

        agent.Llm.CallTools(("write_file", new { path = "src/ConfigLoader.cs", content = FixedLoader }))
            .ReplyJson(new { title = "Handle a missing config file", body = "Done." });
        await agent.RunAsync("issues", Labeled(agent, AgentHarness.Maintainer), delivery: "delivery-3");

        Assert.That(agent.Repo.PullRequests.PullRequests.Single()["head"]!["ref"]!.GetValue<string>(), Is.EqualTo(Branch));
    }

    [Test]
    public async Task Fix_false_in_the_repository_config_opens_nothing_and_says_so()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithFile(".github/runner.yml", "fix: false\n").WithGitData();

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner fix"));

        Assert.That(agent.Llm.Requests, Is.Empty);
        Assert.That(agent.Repo.PullRequests.PullRequests, Is.Empty);
        Assert.That(agent.Comments.Single().Body, Does.Contain("`fix: false`"));
    }

    [Test]
    public async Task A_fix_from_a_user_without_write_access_is_refused()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithGitData();

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner fix", login: AgentHarness.Reporter));

        Assert.That(agent.Llm.Requests, Is.Empty);
        Assert.That(agent.Repo.PullRequests.PullRequests, Is.Empty);
        Assert.That(agent.Comments.Single().Body, Does.Contain("only takes commands from collaborators with write access"));
    }

    [Test]
    public async Task A_run_stopped_by_the_step_budget_opens_nothing_and_says_so()
    {
        await using var agent = await AgentHarness.StartAsync(new Dictionary<string, string?> { ["AGENT_MAX_STEPS"] = "2" });
        agent.Repo.WithGitData();
        agent.Llm.CallTools(("write_file", new { path = "src/ConfigLoader.cs", content = FixedLoader }))
            .CallTools(("write_file", new { path = "README.md", content = "half done" }));

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner fix"));

        Assert.That(agent.Repo.PullRequests.PullRequests, Is.Empty);
        Assert.That(agent.Repo.PullRequests.BranchSha(Branch), Is.Null, "no branch either");
        Assert.That(agent.Comments.Single().Body, Does.Contain("Runner opened no pull request: the run reached its step budget"));
    }

    [Test]
    public async Task The_file_budget_refuses_the_extra_file_and_the_rest_is_still_proposed()
    {
        await using var agent = await AgentHarness.StartAsync(new Dictionary<string, string?> { [FixOptions.MaxFilesVariable] = "1" });
        agent.Repo.WithGitData();
        agent.Llm.CallTools(("write_file", new { path = "src/ConfigLoader.cs", content = FixedLoader }),
                ("write_file", new { path = "README.md", content = "# hello\n" }))
            .ReplyJson(new { title = "Handle a missing config file", body = "Done." });

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner fix"));

        var head = agent.Repo.PullRequests.BranchSha(Branch)!;
        Assert.That(agent.Repo.PullRequests.FilesAt(head)["README.md"], Is.EqualTo("# hello\nA friendly test repository.\n"), "the second file was refused");
        Assert.That(agent.Repo.PullRequests.FilesAt(head)["src/ConfigLoader.cs"], Is.EqualTo(FixedLoader));
        Assert.That(agent.Comments.Single().Body, Does.Contain("refused by rule 'max-files'"));
    }

    [Test]
    public async Task An_empty_change_set_opens_nothing_and_the_comment_explains()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithGitData();
        agent.Llm.ReplyJson(new { title = "No change", body = "The crash comes from the caller's code, not from this repository." });

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner fix"));

        Assert.That(agent.Repo.PullRequests.PullRequests, Is.Empty);
        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain("Runner opened no pull request: the change set is empty"));
        Assert.That(body, Does.Contain("> The crash comes from the caller's code"));
    }

    [Test]
    public async Task A_branch_someone_else_pushed_to_is_never_overwritten()
    {
        await using var agent = await AgentHarness.StartAsync();
        var repo = agent.Repo.WithGitData();
        var theirs = repo.PullRequests.SeedBranch(Branch, new Dictionary<string, string>(repo.Files), "a maintainer's own work", parent: repo.Sha);
        agent.Llm.CallTools(("write_file", new { path = "src/ConfigLoader.cs", content = FixedLoader }))
            .ReplyJson(new { title = "Handle a missing config file", body = "Done." });

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner fix"));

        Assert.That(repo.PullRequests.BranchSha(Branch), Is.EqualTo(theirs));
        Assert.That(repo.PullRequests.PullRequests, Is.Empty);
        Assert.That(agent.Comments.Single().Body, Does.Contain("was not made by Runner"));
    }

    private static string Labeled(AgentHarness agent, string sender, string label = "runner:fix")
    {
        var payload = agent.Fixture("issues.labeled.json");
        payload["issue"]!["number"] = Issue;
        payload["repository"]!["default_branch"] = agent.Repo.DefaultBranch;
        payload["label"]!["name"] = label;
        payload["sender"]!["login"] = sender;
        return payload.ToJsonString();
    }
}
