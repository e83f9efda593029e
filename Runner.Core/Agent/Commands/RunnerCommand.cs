namespace Runner.Core.Agent.Commands;

internal enum RunnerCommandKind
{
    Help,
    Ask,
    Triage,
    Review,
    Fix,
    Unknown,
}

/// <summary>A <c>/runner &lt;name&gt; [argument]</c> command found in a comment.</summary>
/// <param name="Name">The command word as typed (lower case), empty for a bare <c>/runner</c>.</param>
/// <param name="Argument">Everything after the command word, including the comment's following lines.</param>
internal sealed record RunnerCommand(RunnerCommandKind Kind, string Name, string Argument);
