using System.CommandLine;
using System.CommandLine.Parsing;
using Runner.Hosting;

namespace Runner.Cli;

/// <summary>The command line: no verb runs the worker; verbs are operator tools on the same configuration.</summary>
internal static class RunnerCli
{
    public static async Task<int> InvokeAsync(string[] args)
    {
        var root = CreateRoot();

        // `runner help [verb …]` is what people type first; it means `runner [verb …] --help`.
        if (args is ["help", .. var rest])
        {
            args = [.. rest, "--help"];
        }

        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync(UsageError(parseResult));
            return ExitCodes.Usage;
        }

        // The generic host owns SIGTERM/Ctrl-C (graceful drain); System.CommandLine must not race it.
        return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand("Runner: a GitHub App worker that acts on GitHub webhook deliveries with an LLM.");
        root.SetAction((_, cancellationToken) => RunnerHost.RunWorkerAsync(cancellationToken));

        foreach (var command in QueueCommands.Create()
                     .Concat(GitHubCommands.Create())
                     .Concat(LlmCommands.Create())
                     .Concat(OpsCommands.Create())
                     .Concat(SandboxCommands.Create()))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>
    /// One line for any number of parse errors: what is missing or wrong, named, and where help is. System.CommandLine
    /// reports a missing argument once per argument without naming it, and a missing sub-verb without listing them.
    /// </summary>
    internal static string UsageError(ParseResult parseResult)
    {
        var command = parseResult.CommandResult.Command;
        var path = string.Join(' ', Ancestry(parseResult.CommandResult).Select(c => c.Name).Skip(1));
        var prefix = path.Length == 0 ? "runner" : $"runner: {path}";
        if (command.Action is null && command.Subcommands.Count > 0)
        {
            return $"{prefix}: needs one of: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))} (see --help)";
        }

        var missing = command.Arguments
            .Where(argument => argument.Arity.MinimumNumberOfValues > 0
                               && parseResult.CommandResult.Children.OfType<ArgumentResult>()
                                   .All(result => result.Argument != argument || result.Tokens.Count == 0))
            .Select(argument => $"<{argument.Name}>")
            .ToList();
        if (missing.Count > 0)
        {
            return $"{prefix}: missing {string.Join(" and ", missing)}; usage: runner {path} {Usage(command)} (see --help)";
        }

        var messages = parseResult.Errors.Select(e => e.Message.TrimEnd('.')).Distinct();
        return $"runner: {(path.Length == 0 ? string.Empty : path + ": ")}{string.Join("; ", messages)} (see --help)";
    }

    private static string Usage(Command command) =>
        string.Join(' ', command.Arguments.Select(a => a.Arity.MinimumNumberOfValues > 0 ? $"<{a.Name}>" : $"[{a.Name}]")
            .Concat(command.Options.Where(o => !o.Hidden && o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name is not ("--help" or "--version"))
                .Select(o => $"[{o.Name}]")));

    private static List<Command> Ancestry(CommandResult result)
    {
        var chain = new List<Command>();
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult commandResult)
            {
                chain.Add(commandResult.Command);
            }
        }

        chain.Reverse();
        return chain;
    }
}
