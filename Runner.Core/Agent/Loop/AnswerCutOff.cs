using Runner.Core.Llm;

namespace Runner.Core.Agent.Loop;

/// <summary>Why the answer Runner got is incomplete.</summary>
/// <param name="Finish">The kind of stop (length limit or content filter).</param>
/// <param name="Reason">The server's own word for it (<c>done_reason</c> / <c>finish_reason</c>).</param>
/// <param name="Continuations">How many times Runner asked the model to continue before giving up.</param>
internal sealed record AnswerCutOff(ChatFinish Finish, string Reason, int Continuations);
