namespace Runner.Core.Llm;

/// <summary>A chat-completion client for the configured model (Ollama native or OpenAI-compatible API).</summary>
/// <remarks>
/// Retries, backoff, Retry-After, timeouts and rate limiting happen inside. A failure that outlives the
/// retries surfaces as an <see cref="LlmException"/>: <see cref="LlmTransientException"/> (worth calling again
/// later) or <see cref="LlmPermanentException"/> (bad key, unknown model, rejected request).
/// </remarks>
public interface ILlmClient
{
    /// <summary>The model every request goes to (<c>OLLAMA_MODEL</c>).</summary>
    string Model { get; }

    Task<ChatResult> ChatAsync(ChatRequest request, CancellationToken cancellationToken);
}
