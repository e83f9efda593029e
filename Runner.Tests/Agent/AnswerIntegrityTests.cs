using System.Net;
using Octokit;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Queue;
using Runner.Tests.Agent.Support;

namespace Runner.Tests.Agent;

/// <summary>
/// What the posted comment says when the answer is not a plain complete one (cut off, refused), when GitHub rejects
/// the labels, and how a failing <c>/runner help</c> reaches the queue: through the handlers, against the GitHub stand-in.
/// </summary>
public sealed class AnswerIntegrityTests
{
    [Test]
    public async Task An_ask_answer_cut_off_by_length_is_continued_and_posted_whole_without_a_warning()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.Then(Step("The config file is loaded in ", ChatFinish.Length, "length"))
            .Then(Step("`ConfigLoader.Load`.", ChatFinish.Complete, "stop"));

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask where is the config loaded?"));

        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain("The config file is loaded in `ConfigLoader.Load`."));
        Assert.That(body, Does.Not.Contain("cut off"));
        Assert.That(agent.Llm.Requests, Has.Count.EqualTo(2));
        Assert.That(agent.Llm.Requests[1].Tools, Is.Null, "a continuation calls no tools");
    }

    [Test]
    public async Task An_ask_answer_still_cut_off_says_so_and_why_in_the_comment()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.Then(Step("The", ChatFinish.Length, "length"))
            .Then(Step(" config", ChatFinish.Length, "length"))
            .Then(Step(" file", ChatFinish.Length, "length"));

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask where is the config loaded?"));

        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain("The config file"));
        Assert.That(body, Does.Contain("> [!WARNING]\n> The model's answer was cut off: it stopped at a length limit (`length`) before finishing, "
            + "still after Runner asked it to continue 2 times."));
        Assert.That(body, Does.Contain("The answer above is incomplete."));
    }

    [Test]
    public async Task A_cut_off_answer_is_not_continued_when_the_token_budget_has_no_room_and_says_it_was_cut_off()
    {
        await using var agent = await AgentHarness.StartAsync(new Dictionary<string, string?> { ["AGENT_MAX_TOKENS"] = "8000" });
        agent.Llm.Then(Step("The", ChatFinish.Length, "length", promptTokens: 7_000));

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask where is the config loaded?"));

        Assert.That(agent.Llm.Requests, Has.Count.EqualTo(1));
        Assert.That(agent.Comments.Single().Body, Does.Contain("The model's answer was cut off: it stopped at a length limit (`length`) before finishing."));
    }

    [Test]
    public async Task A_refusal_reaches_the_ask_comment_marked_as_a_refusal()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.Then((_, _) => Task.FromResult(ScriptedLlm.Result(string.Empty, []) with { Refusal = "I'm sorry, I can't help with that." }));

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask how do I bypass the licence check?"));

        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain("**The model refused to answer:**\n\n> I'm sorry, I can't help with that."));
        Assert.That(body, Does.Not.Contain("The model gave no answer"));
    }

    [Test]
    public async Task A_refusal_reaches_the_triage_comment_and_is_not_asked_again_for_json()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Llm.Then((_, _) => Task.FromResult(ScriptedLlm.Result(string.Empty, []) with { Refusal = "I can't assist with that." }));

        await agent.RunAsync("issues", agent.IssueOpened());

        Assert.That(agent.Llm.Requests, Has.Count.EqualTo(1));
        Assert.That(agent.Comments.Single().Body, Does.Contain("The model refused to triage this issue").And.Contain("> I can't assist with that."));
    }

    [Test]
    public async Task Labels_GitHub_rejects_with_422_are_suggested_with_what_GitHub_said_not_a_permissions_story()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithFile(".github/runner.yml", "labels: apply\n");
        agent.GitHub.RejectLabels(agent.Repo, HttpStatusCode.UnprocessableEntity);
        agent.Llm.ReplyJson(new { summary = "A crash.", labels = new[] { "bug" } });

        await agent.RunAsync("issues", agent.IssueOpened());

        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain("**Suggested labels:** `bug` (GitHub rejected them: 422 Validation Failed: Label name invalid; a maintainer has to add them.)"));
        Assert.That(body, Does.Not.Contain("may not add labels"));
    }

    [Test]
    public async Task A_GitHub_404_while_answering_runner_help_is_permanent_so_the_queue_does_not_retry_it()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.GitHub.Failures["POST /comments"] = HttpStatusCode.NotFound;

        var thrown = Assert.ThrowsAsync<PermanentJobException>(() => agent.RunAsync("issue_comment", agent.CommentCreated("/runner help")));

        Assert.That(thrown!.InnerException, Is.InstanceOf<GitHubException>().With.InnerException.InstanceOf<NotFoundException>());
        Assert.That(agent.Comments, Is.Empty, "help gets no failure comment");
    }

    [Test]
    public async Task A_GitHub_502_while_answering_runner_help_is_transient()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.GitHub.Failures["POST /comments"] = HttpStatusCode.BadGateway;

        Assert.ThrowsAsync<TransientJobException>(() => agent.RunAsync("issue_comment", agent.CommentCreated("/runner help")));
    }

    private static Func<Runner.Core.Llm.ChatRequest, CancellationToken, Task<ChatResult>> Step(
        string content, ChatFinish finish, string reason, int promptTokens = 900) =>
        (_, _) => Task.FromResult(ScriptedLlm.Result(content, [], promptTokens) with { Finish = finish, FinishReason = reason });
}
