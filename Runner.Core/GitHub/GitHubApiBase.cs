using System.Diagnostics.CodeAnalysis;

namespace Runner.Core.GitHub;

/// <summary>
/// Turns <c>GITHUB_API_URL</c> into the REST base every GitHub call uses, Octokit's and Runner's own alike.
/// </summary>
/// <remarks>
/// Octokit's <c>GitHubClient(…, Uri)</c> maps github.com to https://api.github.com/ and replaces the path of any
/// other host with <c>/api/v3/</c> (GitHub Enterprise Server's layout). Runner builds Octokit's <c>Connection</c>
/// itself, so it applies the same rule here, except that a base already ending in <c>/api/v3</c> is kept as is:
/// both <c>https://ghe.example.com</c> and <c>https://ghe.example.com/api/v3</c> work.
/// </remarks>
public static class GitHubApiBase
{
    private const string EnterpriseSuffix = "api/v3/";

    public static Uri DotCom { get; } = new("https://api.github.com/");

    public static Uri Normalize(string? apiUrl) =>
        TryNormalize(apiUrl, out var baseAddress, out var error) ? baseAddress : throw new FormatException(error);

    public static bool TryNormalize(string? apiUrl, [NotNullWhen(true)] out Uri? baseAddress, out string error)
    {
        baseAddress = null;
        error = string.Empty;
        var text = string.IsNullOrWhiteSpace(apiUrl) ? GitHubOptions.DefaultApiUrl : apiUrl.Trim();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
            || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            error = $"{GitHubOptions.ApiUrlVariable} must be an http(s) URL such as https://api.github.com or https://ghe.example.com/api/v3";
            return false;
        }

        if (uri.Host.Equals("github.com", StringComparison.OrdinalIgnoreCase)
            || uri.Host.Equals("api.github.com", StringComparison.OrdinalIgnoreCase))
        {
            baseAddress = DotCom;
            return true;
        }

        var path = uri.AbsolutePath.TrimEnd('/') + "/";
        if (!path.EndsWith("/" + EnterpriseSuffix, StringComparison.OrdinalIgnoreCase))
        {
            path += EnterpriseSuffix;
        }

        baseAddress = new UriBuilder(uri.Scheme, uri.Host, uri.Port, path).Uri;
        return true;
    }
}
