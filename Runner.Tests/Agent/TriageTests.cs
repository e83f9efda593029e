using System.Net;
using Runner.Core.Agent.Tools;
using Runner.Tests.Agent.Support;

namespace Runner.Tests.Agent;

public sealed class TriageTests
{
    [Test]
    public async Task Triage_comment_suggests_only_existing_labels_and_drops_invented_ones()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.ReplyJson(new
        {
            summary = "Starting without hello.yml crashes with a NullReferenceException in ConfigLoader.",
            labels = new[] { "BUG", "crash", "needs-triage" },
            duplicates = Array.Empty<object>(),
            missing_information = new[] { "The version of hello" },
        });

        await agent.RunAsync("issues", agent.IssueOpened());

        var comment = agent.Comments.Single();
        Assert.Multiple(() =>
        {
            Assert.That(comment.Body, Does.StartWith("<!-- runner:triage delivery:delivery-1 -->"));
            Assert.That(comment.Body, Does.Contain("NullReferenceException in ConfigLoader"));
            Assert.That(comment.Body, Does.Contain("**Suggested labels:** `bug`"), "the existing label, in its own spelling");
            Assert.That(comment.Body, Does.Not.Contain("crash`").And.Not.Contain("needs-triage"));
            Assert.That(comment.Body, Does.Contain("- The version of hello"));
            Assert.That(comment.Body, Does.Contain("model `test-model` · 1,000 tokens"));
            Assert.That(agent.Repo.IssueLabels, Is.Empty, "labels: suggest is the default, nothing is applied");
            Assert.That(agent.Repo.Reactions, Is.EqualTo(new[] { ($"issue:{AgentHarness.IssueNumber}", "eyes") }));
            Assert.That(agent.GitHub.UnauthenticatedRequests, Is.Zero);
        });

        var request = agent.Llm.Requests.Single();
        Assert.That(request.Tools!.Select(t => t.Name), Is.EquivalentTo(RepositoryTools.All.Select(t => t.Name)));
        Assert.That(AgentHarness.UserText(request), Does.Contain("- enhancement: About enhancement"), "the label list is in the prompt");
    }

    [Test]
    public async Task Triage_links_real_duplicates_from_search_and_drops_numbers_that_are_not_candidates()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithIssue(7, "Startup crash when config file is missing", "NullReferenceException in ConfigLoader", open: false)
            .WithIssue(12, "Dark mode", "Please add a dark theme");
        agent.Llm.ReplyJson(new
        {
            summary = "Crash without a config file.",
            labels = new[] { "bug" },
            duplicates = new object[] { new { number = 7, reason = "Same crash in ConfigLoader" }, "#999", 42 },
            missing_information = Array.Empty<string>(),
        });

        await agent.RunAsync("issues", agent.IssueOpened());

        var body = agent.Comments.Single().Body;
        Assert.Multiple(() =>
        {
            Assert.That(body, Does.Contain($"- #7 [Startup crash when config file is missing](https://github.com/{agent.Repo.FullName}/issues/7) (closed): Same crash in ConfigLoader"));
            Assert.That(body, Does.Not.Contain("#999"), "not a candidate: never linked");
            Assert.That(body, Does.Not.Contain("- #42"), "the issue itself is not its own duplicate");
            Assert.That(body, Does.Not.Contain("Could you add"), "nothing missing, no section");
        });
        var prompt = AgentHarness.UserText(agent.Llm.Requests.Single());
        Assert.That(prompt, Does.Contain("#7 (closed): Startup crash when config file is missing"), "found by the search");
        Assert.That(prompt, Does.Contain("#12 (open): Dark mode"), "recent open issues are candidates too");
        Assert.That(agent.GitHub.Requests, Has.Some.StartsWith("GET /api/v3/search/issues"));
    }

    [Test]
    public async Task Labels_are_applied_when_the_repository_config_says_apply()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithFile(".github/runner.yml", "labels: apply\n");
        agent.Llm.ReplyJson(new { summary = "A crash.", labels = new[] { "bug", "invented" } });

        await agent.RunAsync("issues", agent.IssueOpened());

        Assert.That(agent.Repo.IssueLabels[AgentHarness.IssueNumber], Is.EqualTo(new[] { "bug" }));
        Assert.That(agent.Comments.Single().Body, Does.Contain("**Labels applied:** `bug`"));
    }

    [Test]
    public async Task Labels_are_only_suggested_when_GitHub_refuses_to_apply_them()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithFile(".github/runner.yml", "labels: apply\n");
        agent.GitHub.RejectLabels(agent.Repo, HttpStatusCode.Forbidden);
        agent.Llm.ReplyJson(new { summary = "A crash.", labels = new[] { "bug" } });

        await agent.RunAsync("issues", agent.IssueOpened());

        Assert.That(agent.Comments.Single().Body, Does.Contain("**Suggested labels:** `bug` (Runner may not add labels in this repository"));
    }

    [Test]
    public async Task An_answer_in_fences_with_prose_around_it_is_still_read()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.Reply("Here is my triage:\n```json\n{\"summary\": \"Crash {without} config.\", \"labels\": \"bug, question\",}\n```\nHope it helps!");

        await agent.RunAsync("issues", agent.IssueOpened());

        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain("Crash {without} config."));
        Assert.That(body, Does.Contain("`bug`, `question`"));
    }

    [Test]
    public async Task An_unreadable_answer_is_asked_for_again_once_and_then_reported_as_unreadable()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.Reply("I think this is a bug.").Reply("Sorry, still prose.");

        await agent.RunAsync("issues", agent.IssueOpened());

        Assert.That(agent.Llm.Requests, Has.Count.EqualTo(2));
        Assert.That(AgentHarness.UserText(agent.Llm.Requests[1]), Does.Contain("Reply with only the JSON object"));
        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain("could not read the model's triage answer"));
        Assert.That(body, Does.Not.Contain("Suggested labels"));
    }

    [Test]
    public async Task Reopened_issues_are_triaged_and_other_actions_are_ignored()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.ReplyJson(new { summary = "Back again.", labels = Array.Empty<string>() });

        await agent.RunAsync("issues", agent.IssueOpened(action: "edited"), delivery: "edit-1");
        await agent.RunAsync("issues", agent.IssueOpened(action: "labeled"), delivery: "label-1");
        Assert.That(agent.GitHub.Requests, Is.Empty);

        await agent.RunAsync("issues", agent.IssueOpened(action: "reopened"), delivery: "reopen-1");
        Assert.That(agent.Comments.Single().Body, Does.Contain("Back again.").And.Contain("none of the repository's labels fits"));
    }

    [Test]
    public async Task When_issue_search_fails_recent_open_issues_are_still_candidates()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithIssue(12, "Crash on startup without config");
        agent.GitHub.Failures["GET /search/issues"] = HttpStatusCode.Forbidden;
        agent.Llm.ReplyJson(new { summary = "Crash.", duplicates = new[] { 12 } });

        await agent.RunAsync("issues", agent.IssueOpened());

        Assert.That(agent.Comments.Single().Body, Does.Contain("- #12 [Crash on startup without config]"));
    }

    [Test]
    public async Task Without_default_branch_in_the_payload_the_repository_tells_which_branch_to_read()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.DefaultBranch = "trunk";
        agent.Llm.ReplyJson(new { summary = "Crash." });
        var payload = agent.Fixture("issues.opened.json");
        payload["repository"]!.AsObject().Remove("default_branch");

        await agent.RunAsync("issues", payload.ToJsonString());

        Assert.That(agent.GitHub.Requests, Does.Contain($"GET /api/v3/repos/{agent.Repo.FullName}").And.Contain($"GET /api/v3/repos/{agent.Repo.FullName}/branches/trunk"));
        Assert.That(AgentHarness.SystemText(agent.Llm.Requests.Single()), Does.Contain($"at commit {agent.Repo.Sha}"));
    }
}
