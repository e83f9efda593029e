using System.Globalization;
using Microsoft.Extensions.Options;

namespace Runner.Core.GitHub;

/// <summary>
/// Fails start-up with messages that start with the variable's name and never repeat a key's content.
/// Parsing the private key here means a bad key is reported before the first job, not by the first job.
/// </summary>
internal sealed class GitHubOptionsValidator : IValidateOptions<GitHubOptions>
{
    public ValidateOptionsResult Validate(string? name, GitHubOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.AppId) && string.IsNullOrWhiteSpace(options.ClientId))
        {
            failures.Add($"{GitHubOptions.AppIdVariable} is required (or {GitHubOptions.ClientIdVariable}): the App's id from its settings page");
        }
        else if (!string.IsNullOrWhiteSpace(options.AppId)
                 && (!long.TryParse(options.AppId.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var appId) || appId <= 0))
        {
            failures.Add($"{GitHubOptions.AppIdVariable} must be the App's numeric id (its client id goes in {GitHubOptions.ClientIdVariable})");
        }

        if (GitHubAppPrivateKey.TryLoad(options, out var key, out var keyError))
        {
            key.Dispose();
        }
        else
        {
            failures.Add(keyError);
        }

        if (!GitHubApiBase.TryNormalize(options.ApiUrl, out _, out var urlError))
        {
            failures.Add(urlError);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
