
namespace Runner.Core.Agent.Loop;

/// <summary>
/// How much one run may spend, and the clip sizes derived from it. Tokens are estimated before a call at
/// four characters per token (the usual rule of thumb for English and code); the model's reported usage is
/// what counts afterwards.
/// </summary>
internal sealed record AgentBudget(int MaxSteps, int MaxTokens)
{
    public const int CharsPerToken = 4;

    /// <summary>Room kept for the model's answer when deciding whether another call still fits.</summary>
    public int CompletionReserve => Math.Clamp(MaxTokens / 20, 500, 4_000);

    /// <summary>Longest issue or comment text that goes into a prompt before it is clipped.</summary>
    public int TextMaxChars => Math.Clamp(MaxTokens * CharsPerToken / 8, 2_000, 24_000);

    /// <summary>Longest single tool result before it is clipped.</summary>
    public int ToolOutputMaxChars => Math.Clamp(MaxTokens * CharsPerToken / (2 * MaxSteps), 2_000, 16_000);

    public static AgentBudget From(AgentOptions options) => new(options.MaxSteps, options.MaxTokens);

    public static int EstimateTokens(int chars) => (chars + CharsPerToken - 1) / CharsPerToken;
}
