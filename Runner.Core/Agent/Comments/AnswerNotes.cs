using Runner.Core.Agent.Loop;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Comments;

/// <summary>What the comment says when the model's answer is not a complete one: cut off, refused, or missing.</summary>
internal static class AnswerNotes
{
    /// <summary>The text posted in place of an empty answer: the refusal, marked as such, or "no answer".</summary>
    public static string InsteadOfEmpty(AgentConversation conversation) =>
        conversation.Refusal is { } refusal
            ? $"**The model refused to answer:**\n\n{MarkdownText.Quote(MarkdownText.ModelProse(refusal), 2_000)}"
            : "_The model gave no answer._";

    /// <summary>A warning that the answer above is incomplete, and why; empty when it is complete.</summary>
    public static string CutOff(AgentConversation conversation)
    {
        if (conversation.CutOff is not { } cutOff)
        {
            return string.Empty;
        }

        var reason = cutOff.Reason.Length > 0 ? $" ({MarkdownText.Code(cutOff.Reason)})" : string.Empty;
        var continued = cutOff.Continuations > 0
            ? $", still after Runner asked it to continue {cutOff.Continuations} time{(cutOff.Continuations == 1 ? string.Empty : "s")}"
            : string.Empty;
        var why = cutOff.Finish == ChatFinish.ContentFilter
            ? $"The model's answer was cut off by the provider's content filter{reason}."
            : $"The model's answer was cut off: it stopped at a length limit{reason} before finishing{continued}. Its output "
              + $"budget or context window ran out; with a local `ollama serve`, raise {MarkdownText.Code(LlmOptions.NumCtxVariable)}.";
        return $"\n\n> [!WARNING]\n> {why} The answer above is incomplete.";
    }
}
