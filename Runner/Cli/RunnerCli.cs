using System.CommandLine;
using Runner.Hosting;

namespace Runner.Cli;

/// <summary>The command line: no verb runs the worker; verbs are operator tools on the same configuration.</summary>
internal static class RunnerCli
{
    public static async Task<int> InvokeAsync(string[] args)
    {
        var root = new RootCommand("Runner: a GitHub App worker that answers issues and pull requests with an LLM.");
        root.SetAction((_, cancellationToken) => RunnerHost.RunWorkerAsync(cancellationToken));

        foreach (var command in QueueCommands.Create()
                     .Concat(GitHubCommands.Create())
                     .Concat(LlmCommands.Create())
                     .Concat(OpsCommands.Create())
                     .Concat(SandboxCommands.Create()))
        {
            root.Subcommands.Add(command);
        }

        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await Console.Error.WriteLineAsync($"runner: {error.Message} (see --help)");
            }

            return ExitCodes.Usage;
        }

        // The generic host owns SIGTERM/Ctrl-C (graceful drain); System.CommandLine must not race it.
        return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
