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
        return [command];
    }
}
