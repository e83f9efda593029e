using System.CommandLine;

namespace Runner.Cli;

internal static class OpsCommands
{
    public static IEnumerable<Command> Create() => [];
}
