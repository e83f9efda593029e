using System.CommandLine;

namespace Runner.Cli;

internal static class LlmCommands
{
    public static IEnumerable<Command> Create() => [];
}
