using Runner.Core.Llm;

namespace Runner.Core.Agent.Loop;

/// <summary>Tools the model may call. Failures the model can act on come back as text, never as exceptions.</summary>
internal interface IToolExecutor
{
    IReadOnlyList<ToolDefinition> Definitions { get; }

    /// <param name="maxChars">The most text the answer may hold; longer output is clipped with a note.</param>
    Task<string> ExecuteAsync(ToolCall call, int maxChars, CancellationToken cancellationToken);

    /// <summary>A short human-readable form of the call, e.g. <c>read_file src/App.cs</c>.</summary>
    string Describe(ToolCall call);
}
