using System.Text.Json;

namespace Runner.Core.Llm.Wire;

/// <summary>One API dialect: how a chat request is written and how its streamed answer is read.</summary>
internal interface IWireFormat
{
    /// <summary>The <c>Accept</c> header for the streamed chat answer.</summary>
    string StreamMediaType { get; }

    /// <summary>The request body, always with <c>"stream": true</c>.</summary>
    byte[] SerializeRequest(ChatRequest request, string model, double temperature);

    /// <summary>Reads the whole stream; throws <see cref="LlmStreamException"/> when it ends early or carries an error.</summary>
    Task<StreamedAnswer> ReadAnswerAsync(Stream body, CancellationToken cancellationToken);

    /// <summary>Model names from the models listing (<c>/tags</c> or <c>/models</c>).</summary>
    IReadOnlyList<string> ReadModels(JsonElement root);
}

internal static class WireFormats
{
    /// <param name="numCtx"><c>OLLAMA_NUM_CTX</c>: sent as <c>options.num_ctx</c> on the native API only; null = not sent.</param>
    public static IWireFormat For(LlmApiFormat format, int? numCtx = null) => format switch
    {
        LlmApiFormat.Native => new NativeWireFormat(numCtx),
        LlmApiFormat.OpenAi => new OpenAiWireFormat(),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };
}

/// <summary>The assembled stream: what the model said, the tools it called, what it cost, and why it stopped.</summary>
internal sealed record StreamedAnswer(
    string Content,
    IReadOnlyList<ToolCall> ToolCalls,
    TokenUsage Usage,
    string? Model,
    int Chunks,
    string? FinishReason = null,
    string? Refusal = null)
{
    /// <summary>"length" is the one word both dialects use for a cut-off answer; OpenAI adds "content_filter".</summary>
    public ChatFinish Finish => FinishReason switch
    {
        "length" => ChatFinish.Length,
        "content_filter" => ChatFinish.ContentFilter,
        _ => ChatFinish.Complete,
    };
}

/// <summary>A stream that ended before its final chunk, or that carried an error event: worth another attempt.</summary>
internal sealed class LlmStreamException : Exception
{
    public LlmStreamException(string message) : base(message) { }

    public LlmStreamException() { }

    public LlmStreamException(string message, Exception innerException) : base(message, innerException) { }
}
