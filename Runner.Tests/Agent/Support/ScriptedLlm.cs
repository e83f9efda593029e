using System.Text.Json;
using Moq;
using Runner.Core.Llm;

namespace Runner.Tests.Agent.Support;

/// <summary>A Moq <see cref="ILlmClient"/> that answers each call with the next scripted step and keeps every request.</summary>
internal sealed class ScriptedLlm
{
    public const string ModelName = "test-model";

    private readonly Queue<Func<ChatRequest, CancellationToken, Task<ChatResult>>> script = new();
    private readonly List<ChatRequest> requests = [];
    private readonly Lock gate = new();
    private int callIds;

    public ScriptedLlm()
    {
        Mock.SetupGet(m => m.Model).Returns(ModelName);
        Mock.Setup(m => m.ChatAsync(It.IsAny<ChatRequest>(), It.IsAny<CancellationToken>()))
            .Returns<ChatRequest, CancellationToken>((request, cancellationToken) =>
            {
                Func<ChatRequest, CancellationToken, Task<ChatResult>> next;
                lock (gate)
                {
                    requests.Add(request);
                    next = script.Count > 0
                        ? script.Dequeue()
                        : throw new InvalidOperationException($"The LLM was called {requests.Count} times, more than scripted");
                }

                return next(request, cancellationToken);
            });
    }

    public Mock<ILlmClient> Mock { get; } = new(MockBehavior.Strict);

    public ILlmClient Object => Mock.Object;

    public IReadOnlyList<ChatRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    public ScriptedLlm Reply(string content, int promptTokens = 900, int completionTokens = 100) =>
        Then((_, _) => Task.FromResult(Result(content, [], promptTokens, completionTokens)));

    public ScriptedLlm ReplyJson(object answer, int promptTokens = 900, int completionTokens = 100) =>
        Reply(JsonSerializer.Serialize(answer), promptTokens, completionTokens);

    public ScriptedLlm CallTools(params (string Name, object Arguments)[] calls) => CallToolsUsing(900, 50, calls);

    public ScriptedLlm CallToolsUsing(int promptTokens, int completionTokens, params (string Name, object Arguments)[] calls) =>
        Then((_, _) => Task.FromResult(Result(string.Empty, calls.Select(c => new ToolCall(
            $"call_{Interlocked.Increment(ref callIds)}", c.Name, JsonSerializer.SerializeToElement(c.Arguments))).ToList(), promptTokens, completionTokens)));

    public ScriptedLlm Throw(Exception exception) => Then((_, _) => Task.FromException<ChatResult>(exception));

    public ScriptedLlm Then(Func<ChatRequest, CancellationToken, Task<ChatResult>> step)
    {
        lock (gate)
        {
            script.Enqueue(step);
        }

        return this;
    }

    public static ChatResult Result(string content, IReadOnlyList<ToolCall> calls, int promptTokens = 900, int completionTokens = 100) =>
        new(content, calls, new TokenUsage(promptTokens, completionTokens), ModelName, TimeSpan.FromMilliseconds(20));
}
