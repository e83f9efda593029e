using System.CommandLine;

namespace Runner.Cli;

internal static class GitHubCommands
{
    public static IEnumerable<Command> Create() => [];
}
