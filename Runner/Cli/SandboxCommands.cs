using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Runner.Core.Configuration;
using Runner.Sandbox;

namespace Runner.Cli;

internal static class SandboxCommands
{
    public static IEnumerable<Command> Create()
    {
        var timeout = new Option<string>("--timeout")
        {
            Description = "Give up waiting for the answer after this long (e.g. 60s, 2m).",
            DefaultValueFactory = _ => "90s",
        };
        var demo = new Argument<SandboxDemo>("demo")
        {
            Description = "What to watch: triage (a new issue), review (a pull request gets an inline review), fix (/runner fix opens a draft pull request).",
            DefaultValueFactory = _ => SandboxDemo.Triage,
        };
        var command = new Command("sandbox",
            "Watch Runner answer a demo issue end to end on this machine, with no accounts: a local redis-server (unless "
            + "REDIS_URL is set), a GitHub stand-in on loopback, a model stand-in (or the real model when OLLAMA_API_KEY is set), "
            + "and the real worker.")
        {
            demo,
            timeout,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (!DurationSetting.TryParse(parseResult.GetValue(timeout) ?? string.Empty, out var wait) || wait <= TimeSpan.Zero)
            {
                await Console.Error.WriteLineAsync("runner sandbox: --timeout must be a duration such as 60s or 2m");
                return ExitCodes.Usage;
            }

            var environment = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            return await SandboxRun.RunAsync(environment, wait, Console.Out, cancellationToken, parseResult.GetValue(demo));
        });
        command.Subcommands.Add(CreateServe());
        return [command];
    }

    private static Command CreateServe()
    {
        var listen = new Option<string>("--listen")
        {
            Description = "Address to listen on (0.0.0.0: reachable from other containers).",
            DefaultValueFactory = _ => "0.0.0.0",
        };
        var gitHubPort = new Option<int>("--github-port")
        {
            Description = "Port of the GitHub stand-in (workers: GITHUB_API_URL=http://<host>:<port>).",
            DefaultValueFactory = _ => SandboxServe.DefaultGitHubPort,
        };
        var modelPort = new Option<int>("--model-port")
        {
            Description = "Port of the model stand-in (workers: OLLAMA_API_URL=http://<host>:<port>/api).",
            DefaultValueFactory = _ => SandboxServe.DefaultModelPort,
        };
        var serve = new Command("serve",
            "Serve the sandbox's GitHub and model stand-ins to other containers (compose profile demo), queue the demo "
            + "issue on REDIS_URL, and print the comments workers post, until stopped.")
        {
            listen, gitHubPort, modelPort,
        };
        serve.SetAction(async (parseResult, cancellationToken) =>
        {
            var ports = new[] { parseResult.GetValue(gitHubPort), parseResult.GetValue(modelPort) };
            if (ports.Any(port => port is < 0 or > 65535))
            {
                await Console.Error.WriteLineAsync("runner sandbox serve: ports must be between 0 and 65535");
                return ExitCodes.Usage;
            }

            var environment = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            return await SandboxServe.RunAsync(environment, parseResult.GetValue(listen) ?? "0.0.0.0", ports[0], ports[1],
                Console.Out, cancellationToken);
        });
        return serve;
    }
}
