using System.CommandLine;

namespace Runner.Cli;

internal static class QueueCommands
{
    public static IEnumerable<Command> Create() => [];
}
