using System.Text.Json;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Loop;
using Runner.Core.Llm;

namespace Runner.Tests.Llm;

/// <summary>
/// Why the model stopped (Ollama <c>done_reason</c>, OpenAI <c>finish_reason</c>), refusals, and <c>OLLAMA_NUM_CTX</c>,
/// against the stand-in server over a real socket, in the documented wire shapes.
/// </summary>
public sealed class FinishReasonTests : FakeLlmServerFixture
{
    [Test]
    public async Task Ollama_done_reason_length_is_read_as_a_cut_off_answer()
    {
        Server.Then(Replies.NativeCutOff("The"));
        await using var harness = LlmHarness.Create(Server.NativeUrl);

        var result = await harness.AskAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.Content, Is.EqualTo("The"));
            Assert.That(result.Finish, Is.EqualTo(ChatFinish.Length));
            Assert.That(result.FinishReason, Is.EqualTo("length"));
        });
    }

    [TestCase("length", ChatFinish.Length)]
    [TestCase("content_filter", ChatFinish.ContentFilter)]
    [TestCase("stop", ChatFinish.Complete)]
    public async Task OpenAI_finish_reason_says_whether_the_answer_is_complete(string reason, ChatFinish expected)
    {
        Server.Then(Replies.OpenAiEndingWith("{\"", reason));
        await using var harness = LlmHarness.Create(Server.OpenAiUrl);

        var result = await harness.AskAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.Content, Is.EqualTo("{\""));
            Assert.That(result.Finish, Is.EqualTo(expected));
            Assert.That(result.FinishReason, Is.EqualTo(reason));
        });
    }

    [TestCase(Dialect.Native)]
    [TestCase(Dialect.OpenAi)]
    public async Task A_natural_stop_is_a_complete_answer(Dialect dialect)
    {
        Server.Then(Replies.Text("all of it"));
        await using var harness = LlmHarness.Create(Server.UrlFor(dialect));

        var result = await harness.AskAsync();

        Assert.That((result.Finish, result.FinishReason, result.Refusal), Is.EqualTo((ChatFinish.Complete, "stop", (string?)null)));
    }

    [Test]
    public async Task A_streamed_refusal_with_empty_content_is_kept()
    {
        Server.Then(Replies.OpenAiRefusal("I'm sorry, ", "I can't help with that."));
        await using var harness = LlmHarness.Create(Server.OpenAiUrl);

        var result = await harness.AskAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.Content, Is.Empty);
            Assert.That(result.Refusal, Is.EqualTo("I'm sorry, I can't help with that."));
        });
    }

    [Test]
    public async Task A_non_streamed_refusal_is_kept()
    {
        Server.Then(Replies.WholeRefusal("I can't assist with that request."));
        await using var harness = LlmHarness.Create(Server.OpenAiUrl);

        var result = await harness.AskAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.Content, Is.Empty);
            Assert.That(result.Refusal, Is.EqualTo("I can't assist with that request."));
        });
    }

    [Test]
    public async Task Ollama_done_reason_load_without_an_answer_is_retried()
    {
        Server.Then(
            Replies.Raw(JsonSerializer.Serialize(new { model = Replies.ModelName, message = new { role = "assistant", content = "" }, done_reason = "load", done = true })),
            Replies.Text("pong"));
        await using var harness = LlmHarness.Create(Server.NativeUrl);

        var result = await harness.AskAsync();

        Assert.That(result.Content, Is.EqualTo("pong"));
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task OLLAMA_NUM_CTX_is_sent_as_options_num_ctx_on_the_native_api()
    {
        Server.Then(Replies.Text("ok"));
        await using var harness = LlmHarness.Create(Server.NativeUrl, new Dictionary<string, string?> { ["OLLAMA_NUM_CTX"] = "32768" });

        await harness.AskAsync();

        Assert.That(Server.ChatRequests.Single().Body.GetProperty("options").GetProperty("num_ctx").GetInt32(), Is.EqualTo(32768));
    }

    [TestCase(Dialect.Native, null)]
    [TestCase(Dialect.OpenAi, "32768")]
    public async Task No_num_ctx_is_sent_when_unset_or_to_an_OpenAI_compatible_server(Dialect dialect, string? numCtx)
    {
        Server.Then(Replies.Text("ok"));
        await using var harness = LlmHarness.Create(Server.UrlFor(dialect), new Dictionary<string, string?> { ["OLLAMA_NUM_CTX"] = numCtx });

        await harness.AskAsync();

        Assert.That(Server.ChatRequests.Single().Body.GetRawText(), Does.Not.Contain("num_ctx"));
    }

    [Test]
    public async Task The_agent_loop_continues_an_answer_cut_off_by_length_and_posts_it_whole()
    {
        Server.Then(Replies.NativeCutOff("The answer"), Replies.Text("is forty-two."));
        await using var harness = LlmHarness.Create(Server.NativeUrl);
        var conversation = new AgentConversation(harness.Client, new AgentBudget(5, 100_000), null, [ChatMessage.User("What is the answer?")]);

        var answer = await conversation.RunAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(answer, Is.EqualTo("The answer" + "is forty-two."));
            Assert.That(conversation.CutOff, Is.Null);
            Assert.That(BudgetNote.Render(conversation, answered: true), Does.Not.Contain("cut off"));
        });
        var continuation = Server.ChatRequests[1].Body.GetProperty("messages").EnumerateArray().ToList();
        Assert.That(continuation[^2].GetProperty("role").GetString(), Is.EqualTo("assistant"));
        Assert.That(continuation[^2].GetProperty("content").GetString(), Is.EqualTo("The answer"));
        Assert.That(continuation[^1].GetProperty("content").GetString(), Does.Contain("cut off by the length limit"));
    }

    [TestCase(Dialect.Native)]
    [TestCase(Dialect.OpenAi)]
    public async Task An_answer_still_cut_off_after_the_continuations_is_flagged_as_cut_off(Dialect dialect)
    {
        var cut = dialect == Dialect.Native ? Replies.NativeCutOff("The") : Replies.OpenAiEndingWith("{\"", "length");
        Server.Then(cut, cut, cut);
        await using var harness = LlmHarness.Create(Server.UrlFor(dialect));
        var conversation = new AgentConversation(harness.Client, new AgentBudget(5, 100_000), null, [ChatMessage.User("Explain.")]);

        await conversation.RunAsync(CancellationToken.None);

        Assert.That(Server.ChatRequests, Has.Count.EqualTo(1 + AgentConversation.MaxContinuations));
        Assert.That(conversation.CutOff, Is.EqualTo(new AnswerCutOff(ChatFinish.Length, "length", AgentConversation.MaxContinuations)));
        Assert.That(BudgetNote.Render(conversation, answered: true),
            Does.Contain("The model's answer was cut off: it stopped at a length limit (`length`)").And.Contain("`OLLAMA_NUM_CTX`")
                .And.Contain("The answer above is incomplete."));
    }

    [Test]
    public async Task An_answer_cut_by_the_content_filter_is_not_continued_and_is_flagged()
    {
        Server.Then(Replies.OpenAiEndingWith("Here is how", "content_filter"));
        await using var harness = LlmHarness.Create(Server.OpenAiUrl);
        var conversation = new AgentConversation(harness.Client, new AgentBudget(5, 100_000), null, [ChatMessage.User("Explain.")]);

        await conversation.RunAsync(CancellationToken.None);

        Assert.That(Server.ChatRequests, Has.Count.EqualTo(1));
        Assert.That(BudgetNote.Render(conversation, answered: true), Does.Contain("cut off by the provider's content filter (`content_filter`)"));
    }
}
