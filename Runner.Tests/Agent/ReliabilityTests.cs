using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Octokit;
using Runner.Core.Agent.Locking;
using Runner.Core.Agent.Tools;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Queue;
using Runner.Tests.Agent.Support;

namespace Runner.Tests.Agent;

public sealed class ReliabilityTests
{
    private static readonly object Triage = new { summary = "A crash.", labels = new[] { "bug" } };

    [Test]
    public async Task A_replayed_delivery_edits_its_comment_instead_of_posting_again()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.ReplyJson(Triage).ReplyJson(new { summary = "A crash, seen again.", labels = new[] { "bug" } });

        await agent.RunAsync("issues", agent.IssueOpened(), delivery: "same-delivery");
        await agent.RunAsync("issues", agent.IssueOpened(), delivery: "same-delivery");

        var comment = agent.Comments.Single();
        Assert.Multiple(() =>
        {
            Assert.That(agent.GitHub.CommentCreates(agent.Repo), Is.EqualTo(1));
            Assert.That(agent.GitHub.CommentUpdates(agent.Repo), Is.EqualTo(1));
            Assert.That(comment.Body, Does.StartWith("<!-- runner:triage delivery:same-delivery -->"));
            Assert.That(comment.Body, Does.Contain("A crash, seen again."));
        });
    }

    [Test]
    public async Task An_LLM_failure_after_retries_is_reported_honestly_and_rethrown_then_the_retry_edits_the_same_comment()
    {
        await using var agent = await AgentHarness.StartAsync();
        var failure = new LlmTransientException(LlmFailureKind.RetriesExhausted,
            "Failed to call LLM API after 5 attempts: 503 Service Unavailable", 5, 503, TimeSpan.FromSeconds(2));
        agent.Llm.Throw(failure).ReplyJson(Triage);

        var thrown = Assert.ThrowsAsync<TransientJobException>(() => agent.RunAsync("issues", agent.IssueOpened(), delivery: "d-1", attempt: 1));

        Assert.That(thrown!.InnerException, Is.SameAs(failure), "the LLM client's exception goes back to the queue as the cause");
        Assert.That(thrown.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(2)), "the client's Retry-After is kept");
        var notice = agent.Comments.Single().Body;
        Assert.Multiple(() =>
        {
            Assert.That(notice, Does.StartWith("<!-- runner:triage delivery:d-1 -->"));
            Assert.That(notice, Does.Contain("Runner could not finish: the LLM request failed (Failed to call LLM API after 5 attempts: 503 Service Unavailable). Runner will retry automatically (attempt 1 of 5 failed)."));
            Assert.That(notice, Does.Not.Contain(" at ").And.Not.Contain("Exception:").And.Not.Contain("test-token"));
            Assert.That(notice, Does.Contain("model `test-model` · 0 tokens"));
        });

        await agent.RunAsync("issues", agent.IssueOpened(), delivery: "d-1", attempt: 2);

        var comment = agent.Comments.Single();
        Assert.That(comment.Body, Does.Contain("**Suggested labels:** `bug`").And.Not.Contain("could not finish"));
        Assert.That(agent.GitHub.CommentCreates(agent.Repo), Is.EqualTo(1));
    }

    [Test]
    public async Task A_GitHub_failure_is_reported_in_one_sentence_and_rethrown()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.GitHub.Failures["GET /labels"] = HttpStatusCode.BadGateway;

        var thrown = Assert.ThrowsAsync<TransientJobException>(() => agent.RunAsync("issues", agent.IssueOpened(), attempt: 2));

        Assert.That((thrown!.InnerException as GitHubException)?.StatusCode, Is.EqualTo(502));
        Assert.That(thrown.InnerException!.InnerException, Is.InstanceOf<ApiException>());
        var notice = agent.Comments.Single().Body;
        Assert.That(notice, Does.Contain("> Runner could not finish: a GitHub API call failed (502: Server Error). Runner will retry automatically (attempt 2 of 5 failed)."));
        Assert.That(notice.Split('\n').Count(l => l.StartsWith("> ", StringComparison.Ordinal) && !l.StartsWith("> [!", StringComparison.Ordinal)), Is.EqualTo(1), "one sentence, no stack trace");
        Assert.That(agent.Llm.Requests, Is.Empty);
    }

    [Test]
    public async Task A_GitHub_404_reaches_the_queue_as_permanent_and_says_it_will_not_be_retried()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.GitHub.Failures["GET /labels"] = HttpStatusCode.NotFound;

        var thrown = Assert.ThrowsAsync<PermanentJobException>(() => agent.RunAsync("issues", agent.IssueOpened(), attempt: 1));

        Assert.That(thrown!.InnerException, Is.InstanceOf<GitHubException>().With.InnerException.InstanceOf<NotFoundException>());
        Assert.That(agent.Comments.Single().Body, Does.Contain("a GitHub API call failed (404: ").And.Contain("Runner will not retry"));
    }

    [Test]
    public async Task A_permanent_failure_says_it_will_not_be_retried()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.Throw(new LlmPermanentException(LlmFailureKind.ModelNotFound, "The model 'glm-9' was not found at https://ollama.com/api", 404));

        Assert.ThrowsAsync<PermanentJobException>(() => agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask why?")));

        Assert.That(agent.Comments.Single().Body, Does.Contain(
            "the LLM request failed (The model 'glm-9' was not found at https://ollama.com/api). Runner will not retry; once the cause is fixed, ask again with `/runner ask`."));
    }

    [Test]
    public async Task A_transient_failure_on_the_last_attempt_says_it_will_not_be_retried()
    {
        await using var agent = await AgentHarness.StartAsync(new Dictionary<string, string?> { ["RUNNER_MAX_ATTEMPTS"] = "3" });
        agent.Llm.Throw(new LlmTransientException("Failed to call LLM API after 5 attempts: 502 Bad Gateway"));

        Assert.ThrowsAsync<TransientJobException>(() => agent.RunAsync("issues", agent.IssueOpened(), attempt: 3));

        Assert.That(agent.Comments.Single().Body, Does.Contain("Runner will not retry (all 3 attempts used); a maintainer can comment `/runner triage` to run it again."));
    }

    [Test]
    public async Task The_step_budget_ends_the_tool_loop_with_a_forced_answer_that_says_what_was_not_done()
    {
        await using var agent = await AgentHarness.StartAsync(new Dictionary<string, string?> { ["AGENT_MAX_STEPS"] = "2" });
        agent.Llm
            .CallTools((RepositoryTools.ReadFileName, new { path = "README.md" }))
            .Then((request, _) => Task.FromResult(ScriptedLlm.Result(
                "It is a friendly test repository; I could not check the loader.",
                [new ToolCall("late", RepositoryTools.ReadFileName, System.Text.Json.JsonSerializer.SerializeToElement(new { path = "src/ConfigLoader.cs" }))])));

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask what is this repository?"));

        var requests = agent.Llm.Requests;
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(requests[0].Tools, Is.Not.Null);
        Assert.That(requests[1].Tools, Is.Null, "the last step has no tools: the model must answer");
        Assert.That(requests[1].Messages[^1].Content, Does.Contain("This is your last step"));
        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain("It is a friendly test repository"));
        Assert.That(body, Does.Contain("Runner reached its step limit (`AGENT_MAX_STEPS` = 2)"));
        Assert.That(body, Does.Contain("Not done: read_file src/ConfigLoader.cs."));
    }

    [Test]
    public async Task The_token_budget_stops_before_a_call_that_would_not_fit_and_says_what_it_did_not_get_to()
    {
        await using var agent = await AgentHarness.StartAsync(new Dictionary<string, string?> { ["AGENT_MAX_TOKENS"] = "4000" });
        agent.Llm.CallToolsUsing(3_400, 100, (RepositoryTools.SearchCodeName, new { query = "ConfigLoader" }));

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask where is the loader?"));

        Assert.That(agent.Llm.Requests, Has.Count.EqualTo(1), "a second call would not have fit in 4,000 tokens");
        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain("Runner reached its token budget (`AGENT_MAX_TOKENS` = 4,000, 3,500 used) before the model could answer."));
        Assert.That(body, Does.Contain("Not done: reading the result of search_code \"ConfigLoader\"."));
        Assert.That(body, Does.Contain("3,500 tokens"));
    }

    [Test]
    public async Task A_run_on_an_issue_that_is_locked_is_handed_back_to_the_queue_without_touching_GitHub()
    {
        await using var agent = await AgentHarness.StartAsync();
        var issueLock = agent.Services.GetRequiredService<IssueLock>();
        var repository = new RepositoryRef(AgentHarness.Owner, agent.Repo.Name);
        var held = (await issueLock.TryAcquireAsync(repository, AgentHarness.IssueNumber, "another-delivery", TimeSpan.FromSeconds(20))).Lease;
        Assert.That(held, Is.Not.Null);

        var busy = Assert.ThrowsAsync<JobDeferredException>(() => agent.RunAsync("issues", agent.IssueOpened()));

        Assert.That(busy!.RetryAfter, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromSeconds(20)));
        Assert.That(agent.GitHub.Requests, Is.Empty);
        Assert.That(agent.Llm.Requests, Is.Empty);

        await held!.DisposeAsync();
        agent.Llm.ReplyJson(Triage);
        await agent.RunAsync("issues", agent.IssueOpened());
        Assert.That(agent.Comments, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_second_trigger_while_a_run_is_in_progress_waits_instead_of_running_in_parallel()
    {
        await using var agent = await AgentHarness.StartAsync();
        var modelCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.Llm.Then(async (_, _) =>
        {
            modelCalled.SetResult();
            await release.Task;
            return ScriptedLlm.Result(System.Text.Json.JsonSerializer.Serialize(Triage), []);
        });

        var first = agent.RunAsync("issues", agent.IssueOpened(), delivery: "first");
        await modelCalled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var second = Assert.ThrowsAsync<JobDeferredException>(() =>
            agent.RunAsync("issue_comment", agent.CommentCreated("/runner triage"), delivery: "second"));
        release.SetResult();
        await first;

        Assert.That(second!.RetryAfter, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(agent.Llm.Requests, Has.Count.EqualTo(1));
        Assert.That(agent.Comments.Single().Body, Does.StartWith("<!-- runner:triage delivery:first -->"));
    }
}
