using Microsoft.Extensions.Options;

namespace Runner.Webhook;

/// <summary>Fails start with one line naming the variable; never repeats the secret.</summary>
internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Secret))
        {
            failures.Add($"{WebhookOptions.SecretVariable} is required for `runner webhook`: set it to the webhook secret of the GitHub App");
        }

        if (!string.IsNullOrWhiteSpace(options.Port) && !WebhookOptions.IsPort(options.Port.Trim()))
        {
            failures.Add($"{WebhookOptions.PortVariable} must be a TCP port number from 1 to 65535");
        }

        foreach (var url in options.ListenUrls)
        {
            if (!Uri.TryCreate(WebhookOptions.WithLoopbackHost(url), UriKind.Absolute, out var uri)
                || uri.Scheme is not ("http" or "https"))
            {
                failures.Add($"{WebhookOptions.UrlsVariable} must list http:// or https:// URLs separated by ';' (got '{url}')");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
