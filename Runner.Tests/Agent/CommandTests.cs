using Runner.Core.Agent.Tools;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Tests.Agent.Support;

namespace Runner.Tests.Agent;

public sealed class CommandTests
{
    [Test]
    public async Task Ask_answers_from_files_the_model_lists_searches_and_reads()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm
            .CallTools((RepositoryTools.ListFilesName, new { path = "src" }), (RepositoryTools.SearchCodeName, new { query = "readalltext" }))
            .CallTools((RepositoryTools.ReadFileName, new { path = "src/ConfigLoader.cs", start_line = 3 }))
            .Reply("The config file is loaded by `ConfigLoader.Load` (src/ConfigLoader.cs:5), which reads it with File.ReadAllText.");

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask where is the config file loaded?"));

        var requests = agent.Llm.Requests;
        Assert.That(requests, Has.Count.EqualTo(3));
        var toolResults = requests[1].Messages.Where(m => m.Role == ChatRole.Tool).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(toolResults[0].Content, Does.Contain("src/ConfigLoader.cs ("), "list_files shows the folder");
            Assert.That(toolResults[1].Content, Does.Contain("src/ConfigLoader.cs:5: public static Config Load(string path) => Parse(File.ReadAllText(path));"));
            Assert.That(toolResults.Select(t => t.ToolCallId), Is.EqualTo(requests[1].Messages.Single(m => m.ToolCalls is { Count: 2 }).ToolCalls!.Select(c => c.Id)));
        });
        var read = requests[2].Messages.Last(m => m.Role == ChatRole.Tool).Content;
        Assert.That(read, Does.Contain("src/ConfigLoader.cs, lines 3-6 of 6"));
        Assert.That(read, Does.Contain("5|     public static Config Load"));
        Assert.That(read, Does.Not.Contain("namespace Hello"), "start_line=3 skips the first lines");

        var comment = agent.Comments.Single();
        Assert.Multiple(() =>
        {
            Assert.That(comment.Body, Does.StartWith($"<!-- runner:ask-{AgentHarness.CommentId} delivery:delivery-1 -->"));
            Assert.That(comment.Body, Does.Contain("> where is the config file loaded?"));
            Assert.That(comment.Body, Does.Contain("reads it with File.ReadAllText"));
            Assert.That(comment.Body, Does.Contain($"[`src/ConfigLoader.cs`](https://github.com/{agent.Repo.FullName}/blob/{agent.Repo.Sha}/src/ConfigLoader.cs#L3-L6) lines 3–6"));
            Assert.That(comment.Body, Does.Contain("model `test-model` · 2,900 tokens"));
            Assert.That(agent.Repo.Reactions, Is.EqualTo(new[] { ($"comment:{AgentHarness.CommentId}", "eyes") }));
            Assert.That(agent.GitHub.TarballDownloads(agent.Repo), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Two_questions_about_the_same_commit_download_the_tarball_once_and_get_one_answer_each()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.CallTools((RepositoryTools.ReadFileName, new { path = "README.md" })).Reply("First answer.")
            .CallTools((RepositoryTools.ReadFileName, new { path = "src/ConfigLoader.cs" })).Reply("Second answer.");

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask what is this?", commentId: 1), delivery: "d-1");
        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask and the loader?", commentId: 2), delivery: "d-2");

        Assert.That(agent.GitHub.TarballDownloads(agent.Repo), Is.EqualTo(1));
        Assert.That(agent.Comments.Select(c => c.Body.Split('\n')[0]), Is.EqualTo(new[]
        {
            "<!-- runner:ask-1 delivery:d-1 -->",
            "<!-- runner:ask-2 delivery:d-2 -->",
        }));
        Assert.That(agent.Llm.Requests[3].Messages[^1].Content, Does.Contain("public static class ConfigLoader"));
    }

    [Test]
    public async Task Commands_from_users_without_write_access_get_one_polite_refusal_per_issue()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithPermission("drive-by", "read");

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask anything?", login: "drive-by", commentId: 1), delivery: "d-1");
        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner triage", login: "drive-by", commentId: 2), delivery: "d-2");
        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner help", login: "stranger", commentId: 3), delivery: "d-3");

        var comment = agent.Comments.Single();
        Assert.Multiple(() =>
        {
            Assert.That(comment.Body, Does.StartWith("<!-- runner:refusal delivery:d-1 -->"));
            Assert.That(comment.Body, Does.Contain("@drive-by").And.Contain("write access"));
            Assert.That(agent.GitHub.PermissionChecks(agent.Repo), Is.EqualTo(3));
            Assert.That(agent.GitHub.CommentUpdates(agent.Repo), Is.Zero, "the refusal is not repeated, not even as an edit");
            Assert.That(agent.Llm.Requests, Is.Empty);
            Assert.That(agent.Repo.Reactions, Is.Empty);
        });
    }

    [TestCase("/runner help", "")]
    [TestCase("/runner", "")]
    [TestCase("/runner frobnicate now", "does not know the command `/runner frobnicate`")]
    [TestCase("/runner ask", "`/runner ask` needs a question")]
    public async Task Help_and_unknown_commands_answer_with_the_command_list_without_a_model_call(string command, string intro)
    {
        await using var agent = await AgentHarness.StartAsync();

        await agent.RunAsync("issue_comment", agent.CommentCreated(command));

        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.StartWith("<!-- runner:help delivery:delivery-1 -->"));
        Assert.That(body, Does.Contain("| `/runner ask <question>` |").And.Contain("| `/runner triage` |").And.Contain("no model call"));
        Assert.That(body, Does.Contain(intro));
        Assert.That(agent.Llm.Requests, Is.Empty);
    }

    [Test]
    public async Task Runner_triage_from_a_maintainer_reruns_triage_into_the_same_comment()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.ReplyJson(new { summary = "First triage.", labels = new[] { "bug" } })
            .ReplyJson(new { summary = "Second triage.", labels = new[] { "question" } });

        await agent.RunAsync("issues", agent.IssueOpened(), delivery: "open-1");
        await agent.RunAsync("issue_comment", agent.CommentCreated("please have another look\n/runner triage"), delivery: "cmd-1");

        var comment = agent.Comments.Single();
        Assert.That(comment.Body, Does.StartWith("<!-- runner:triage delivery:cmd-1 -->"));
        Assert.That(comment.Body, Does.Contain("Second triage.").And.Not.Contain("First triage."));
        Assert.That(agent.GitHub.CommentUpdates(agent.Repo), Is.EqualTo(1));
    }

    [Test]
    public async Task Comments_without_a_command_cost_nothing()
    {
        await using var agent = await AgentHarness.StartAsync();

        await agent.RunAsync("issue_comment", agent.CommentCreated("Thanks! I see this too on /runner's side."));
        await agent.RunAsync("issue_comment", agent.CommentCreated("> /runner ask quoted from someone else"));
        await agent.RunAsync("issue_comment", agent.CommentCreated("Docs:\n```\n/runner ask how?\n```"));

        Assert.That(agent.GitHub.Requests, Is.Empty);
        Assert.That(agent.Factory.Requests, Is.Empty);
    }

    [Test]
    public async Task Events_from_bots_are_ignored_including_the_apps_own_comments()
    {
        await using var agent = await AgentHarness.StartAsync();

        await agent.RunAsync("issues", agent.IssueOpened(sender: "dependabot[bot]", senderType: "Bot"));
        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner triage", login: "some-ci", userType: "Bot"));
        await agent.RunAsync("issue_comment", agent.CommentCreated("<!-- runner:help delivery:x -->\n/runner help", login: GitHubStandIn.BotLogin));
        await agent.RunAsync("issue_comment", agent.CommentCreated("<!-- runner:help delivery:x -->\n| `/runner ask <question>` |", login: "user-token-bot"));

        Assert.That(agent.GitHub.Requests, Is.Empty);
        Assert.That(agent.Llm.Requests, Is.Empty);
    }

    [Test]
    public async Task Fixture_payloads_have_the_shape_the_agent_reads()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.ReplyJson(new { summary = "ok" });

        // The unmodified fixture's comment is the maintainer's "/runner ask"; only the repository is moved.
        var payload = agent.Fixture("issue_comment.created.json");
        await agent.RunAsync("issue_comment", payload.ToJsonString());

        var answer = agent.Comments.Single().Body;
        Assert.That(answer, Does.StartWith($"<!-- runner:ask-{AgentHarness.CommentId} delivery:delivery-1 -->"));
        Assert.That(answer, Does.Contain("> where is the config file loaded?"));
        var (repository, installationId, permissions) = agent.Factory.Requests.First();
        Assert.That((repository.FullName, installationId, permissions), Is.EqualTo((agent.Repo.FullName, 51234567L, GitHubPermissions.IssueWriter)));
    }

    [Test]
    public async Task An_answer_longer_than_GitHub_allows_is_clipped_but_keeps_marker_and_footer()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.Reply(new string('y', 70_000));

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask tell me everything"));

        var body = agent.Comments.Single().Body;
        Assert.That(body.Length, Is.LessThan(65_536));
        Assert.That(body, Does.StartWith("<!-- runner:ask-").And.Contain("clipped this comment").And.EndWith(" s</sub>"));
    }
}
