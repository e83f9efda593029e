using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Runner.Core.Configuration;
using Runner.Hosting;
using Runner.Webhook;

namespace Runner.Cli;

/// <summary>Operator verbs: the webhook receiver and the health probe used by Docker and Kubernetes.</summary>
internal static class OpsCommands
{
    public static IEnumerable<Command> Create() => [CreateWebhook(), CreateHealth()];

    private static Command CreateWebhook()
    {
        var command = new Command("webhook",
            "Receive GitHub webhooks on POST /webhook (signed with GITHUB_WEBHOOK_SECRET) and queue them for the workers.");
        command.SetAction((_, cancellationToken) => WebhookHost.RunAsync(cancellationToken));
        return command;
    }

    private static Command CreateHealth()
    {
        var webhook = new Option<bool>("--webhook")
        {
            Description = "Probe the webhook receiver's /healthz (from RUNNER_WEBHOOK_URLS or PORT) instead of the queue.",
        };
        var timeout = new Option<string>("--timeout")
        {
            Description = "Give up after this long (e.g. 3s, 500ms).",
            DefaultValueFactory = _ => SettingCatalog.Duration(HealthProbe.DefaultTimeout),
        };
        var command = new Command("health",
            "Exit 0 when Redis answers and the consumer group exists on the job stream, else 1 with one line.")
        {
            webhook,
            timeout,
        };
        command.SetAction((parseResult, cancellationToken) =>
            RunHealthAsync(parseResult.GetValue(webhook), parseResult.GetValue(timeout), Console.Out, Console.Error, cancellationToken));
        return command;
    }

    internal static async Task<int> RunHealthAsync(bool webhook, string? timeoutText, TextWriter output, TextWriter error,
        CancellationToken cancellationToken)
    {
        if (!DurationSetting.TryParse(timeoutText ?? string.Empty, out var timeout) || timeout <= TimeSpan.Zero)
        {
            await error.WriteLineAsync("runner health: --timeout must be a duration such as 3s or 500ms");
            return ExitCodes.Usage;
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        if (!webhook)
        {
            return await HealthProbe.CheckQueueAsync(configuration, output, error, timeout, cancellationToken);
        }

        Uri url;
        try
        {
            url = WebhookOptions.From(configuration).LocalHealthUrl();
        }
        catch (UriFormatException)
        {
            await error.WriteLineAsync($"runner health: {WebhookOptions.UrlsVariable} does not start with a valid URL");
            return ExitCodes.Failure;
        }

        return await HealthProbe.CheckHttpAsync(url, output, error, timeout, cancellationToken);
    }
}
