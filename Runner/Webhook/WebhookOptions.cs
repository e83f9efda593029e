using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Runner.Webhook;

/// <summary>The receiver's settings: the shared secret GitHub signs with, and where Kestrel listens.</summary>
internal sealed class WebhookOptions
{
    public const string SecretVariable = "GITHUB_WEBHOOK_SECRET";
    public const string UrlsVariable = "RUNNER_WEBHOOK_URLS";
    public const string PortVariable = "PORT";
    public const string DefaultUrl = "http://0.0.0.0:8080";

    /// <summary>GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub.</summary>
    public const long MaxBodyBytes = 25L * 1024 * 1024;

    [ConfigurationKeyName(SecretVariable)]
    public string? Secret { get; set; }

    /// <summary>Semicolon-separated, like ASPNETCORE_URLS: <c>http://0.0.0.0:8080;http://[::]:8080</c>.</summary>
    [ConfigurationKeyName(UrlsVariable)]
    public string? Urls { get; set; }

    /// <summary>The port platforms such as EasyPanel or Cloud Run hand to the container; used when no URLs are set.</summary>
    [ConfigurationKeyName(PortVariable)]
    public string? Port { get; set; }

    public IReadOnlyList<string> ListenUrls
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(Urls))
            {
                return Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }

            return string.IsNullOrWhiteSpace(Port) ? [DefaultUrl] : [$"http://0.0.0.0:{Port.Trim()}"];
        }
    }

    public static WebhookOptions From(IConfiguration configuration)
    {
        var options = new WebhookOptions();
        configuration.Bind(options);
        return options;
    }

    /// <summary>The address a probe inside the same container uses: the first URL, with a wildcard host made loopback.</summary>
    public Uri LocalHealthUrl()
    {
        var first = WithLoopbackHost(ListenUrls[0]);
        return new Uri(new Uri(first.TrimEnd('/') + "/", UriKind.Absolute), "healthz");
    }

    /// <summary>Kestrel's wildcard hosts (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>) turned into 127.0.0.1.</summary>
    internal static string WithLoopbackHost(string url)
    {
        foreach (var wildcard in (string[])["://0.0.0.0", "://[::]", "://+", "://*"])
        {
            url = url.Replace(wildcard, "://127.0.0.1", StringComparison.Ordinal);
        }

        return url;
    }

    internal static bool IsPort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535;
}
