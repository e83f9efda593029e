namespace Runner.Core.Agent.Loop;

/// <summary>
/// Tags an exception with the part of the run that failed. Both the LLM client and the GitHub pipeline throw
/// the same job exception types, and the honest failure comment has to say which of them failed.
/// </summary>
internal static class FailureStage
{
    private const string Key = "runner.agent.stage";

    public const string Llm = "llm";

    public static void Mark(Exception exception, string stage) => exception.Data[Key] = stage;

    public static string? Of(Exception exception) => exception.Data[Key] as string;
}
