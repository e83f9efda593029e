using System.Text.Json;
using Runner.Core.Llm;

namespace Runner.Tests.Llm;

/// <summary>Streaming, token usage and tool calls in both dialects, against the stand-in server over a real socket.</summary>
public sealed class WireFormatTests : FakeLlmServerFixture
{
    [TestCase(Dialect.Native, "/api/chat", "application/x-ndjson")]
    [TestCase(Dialect.OpenAi, "/v1/chat/completions", "text/event-stream")]
    public async Task Assembles_the_streamed_answer_and_reads_token_usage(Dialect dialect, string path, string accept)
    {
        Server.Then(Replies.Text("the quick brown fox", promptTokens: 42, completionTokens: 17));
        await using var harness = LlmHarness.Create(Server.UrlFor(dialect));

        var result = await harness.AskAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.Content, Is.EqualTo("the quick brown fox"));
            Assert.That(result.Usage, Is.EqualTo(new TokenUsage(42, 17)));
            Assert.That(result.Model, Is.EqualTo(Replies.ModelName));
            Assert.That(result.ToolCalls, Is.Empty);
            Assert.That(Server.ChatRequests.Single().Path, Is.EqualTo(path));
            Assert.That(Server.ChatRequests.Single().Accept, Is.EqualTo(accept));
            Assert.That(Server.ChatRequests.Single().Authorization, Is.EqualTo($"Bearer {LlmHarness.ApiKey}"));
        });
    }

    [TestCase(Dialect.Native)]
    [TestCase(Dialect.OpenAi)]
    public async Task Tool_call_arguments_arrive_as_json_objects(Dialect dialect)
    {
        Server.Then(Replies.ToolCalls(
            new ScriptedToolCall("read_file", """{"path":"src/main.cs","lines":{"from":1,"to":20}}""", "call_a"),
            new ScriptedToolCall("list_files", "{}", "call_b")));
        await using var harness = LlmHarness.Create(Server.UrlFor(dialect));

        var result = await harness.AskAsync();

        Assert.That(result.ToolCalls, Has.Count.EqualTo(2));
        var read = result.ToolCalls[0];
        Assert.Multiple(() =>
        {
            Assert.That(read.Name, Is.EqualTo("read_file"));
            Assert.That(read.Arguments.ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(read.Arguments.GetProperty("path").GetString(), Is.EqualTo("src/main.cs"));
            Assert.That(read.Arguments.GetProperty("lines").GetProperty("to").GetInt32(), Is.EqualTo(20));
            Assert.That(result.ToolCalls[1].Name, Is.EqualTo("list_files"));
            Assert.That(result.ToolCalls[1].Arguments.ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(result.ToolCalls.Select(c => c.Id), Is.Unique.And.All.Not.Empty);
            Assert.That(result.Usage, Is.EqualTo(new TokenUsage(11, 7)));
        });
        if (dialect == Dialect.OpenAi)
        {
            Assert.That(result.ToolCalls.Select(c => c.Id), Is.EqualTo(new[] { "call_a", "call_b" }), "OpenAI ids are kept");
        }
    }

    [Test]
    public async Task Native_request_carries_model_stream_options_tools_and_tool_turns_in_ollama_shape()
    {
        await using var harness = LlmHarness.Create(Server.NativeUrl, new Dictionary<string, string?> { ["LLM_TEMPERATURE"] = "0.3" });

        await harness.Client.ChatAsync(ConversationWithToolTurn(), CancellationToken.None);

        var body = Server.ChatRequests.Single().Body;
        var messages = body.GetProperty("messages");
        var assistantCall = messages[2].GetProperty("tool_calls")[0];
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("model").GetString(), Is.EqualTo("glm-4.6"));
            Assert.That(body.GetProperty("stream").GetBoolean(), Is.True);
            Assert.That(body.GetProperty("options").GetProperty("temperature").GetDouble(), Is.EqualTo(0.3));
            Assert.That(body.TryGetProperty("stream_options", out _), Is.False);
            Assert.That(body.GetProperty("tools")[0].GetProperty("type").GetString(), Is.EqualTo("function"));
            Assert.That(body.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString(), Is.EqualTo("read_file"));
            Assert.That(body.GetProperty("tools")[0].GetProperty("function").GetProperty("parameters").GetProperty("type").GetString(), Is.EqualTo("object"));
            Assert.That(messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()),
                Is.EqualTo(new[] { "system", "user", "assistant", "tool" }));
            Assert.That(assistantCall.GetProperty("function").GetProperty("name").GetString(), Is.EqualTo("read_file"));
            Assert.That(assistantCall.GetProperty("function").GetProperty("arguments").GetProperty("path").GetString(), Is.EqualTo("a.txt"));
            Assert.That(messages[3].GetProperty("tool_name").GetString(), Is.EqualTo("read_file"));
            Assert.That(messages[3].GetProperty("content").GetString(), Is.EqualTo("file body"));
        });
    }

    [Test]
    public async Task OpenAi_request_carries_stream_usage_option_and_tool_turns_in_openai_shape()
    {
        await using var harness = LlmHarness.Create(Server.OpenAiUrl);

        await harness.Client.ChatAsync(ConversationWithToolTurn() with { Temperature = 0.7 }, CancellationToken.None);

        var body = Server.ChatRequests.Single().Body;
        var messages = body.GetProperty("messages");
        var assistantCall = messages[2].GetProperty("tool_calls")[0];
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("stream").GetBoolean(), Is.True);
            Assert.That(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean(), Is.True);
            Assert.That(body.GetProperty("temperature").GetDouble(), Is.EqualTo(0.7), "the request's temperature wins over LLM_TEMPERATURE");
            Assert.That(body.TryGetProperty("options", out _), Is.False);
            Assert.That(body.GetProperty("tools")[0].GetProperty("function").GetProperty("description").GetString(), Is.EqualTo("Reads a file"));
            Assert.That(assistantCall.GetProperty("id").GetString(), Is.EqualTo("call_7"));
            Assert.That(assistantCall.GetProperty("type").GetString(), Is.EqualTo("function"));
            Assert.That(assistantCall.GetProperty("function").GetProperty("arguments").ValueKind, Is.EqualTo(JsonValueKind.String));
            Assert.That(JsonDocument.Parse(assistantCall.GetProperty("function").GetProperty("arguments").GetString()!)
                .RootElement.GetProperty("path").GetString(), Is.EqualTo("a.txt"));
            Assert.That(messages[3].GetProperty("tool_call_id").GetString(), Is.EqualTo("call_7"));
            Assert.That(messages[3].GetProperty("content").GetString(), Is.EqualTo("file body"));
        });
    }

    [TestCase(Dialect.Native)]
    [TestCase(Dialect.OpenAi)]
    public async Task An_error_event_inside_the_stream_is_retried(Dialect dialect)
    {
        Server.Then(Replies.ErrorInStream("model runner has unexpectedly stopped"), Replies.Text("recovered"));
        await using var harness = LlmHarness.Create(Server.UrlFor(dialect));

        var result = await harness.AskAsync();

        Assert.That(result.Content, Is.EqualTo("recovered"));
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(2));
        Assert.That(harness.Logs.Attempts().First().Message, Does.Contain("model runner has unexpectedly stopped"));
    }

    [Test]
    public async Task An_openai_server_that_ignores_stream_true_is_read_as_one_completion()
    {
        Server.Then(Replies.WholeCompletion("let me look", new ScriptedToolCall("read_file", """{"path":"b.cs"}""", "call_9"), 30, 4));
        await using var harness = LlmHarness.Create(Server.OpenAiUrl);

        var result = await harness.AskAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.Content, Is.EqualTo("let me look"));
            Assert.That(result.ToolCalls.Single().Id, Is.EqualTo("call_9"));
            Assert.That(result.ToolCalls.Single().Arguments.GetProperty("path").GetString(), Is.EqualTo("b.cs"));
            Assert.That(result.Usage, Is.EqualTo(new TokenUsage(30, 4)));
            Assert.That(Server.ChatRequests, Has.Count.EqualTo(1));
        });
    }

    private static ChatRequest ConversationWithToolTurn()
    {
        var call = new ToolCall("call_7", "read_file", JsonDocument.Parse("""{"path":"a.txt"}""").RootElement.Clone());
        var parameters = JsonDocument.Parse("""{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}""").RootElement.Clone();
        return new ChatRequest(
            [
                ChatMessage.System("You are a reviewer."),
                ChatMessage.User("Read a.txt"),
                ChatMessage.Assistant("", [call]),
                ChatMessage.ToolResult(call, "file body"),
            ],
            [new ToolDefinition("read_file", "Reads a file", parameters)]);
    }
}
