using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Runner.Hosting;

/// <summary>
/// The first log event of a long-running mode: what runs and the effective configuration, with every secret
/// reduced to <c>set</c>/<c>missing</c> so the banner can be pasted into an issue as it is.
/// </summary>
internal sealed record StartupBanner(string Mode, IReadOnlyList<Setting> Settings)
{
    private const int MaxShownLength = 120;

    public static StartupBanner Worker { get; } = new("worker", SettingCatalog.Worker);

    public static string Version { get; } =
        typeof(StartupBanner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? "unknown";

    public void Log(ILogger logger, IConfiguration configuration) =>
        logger.LogInformation("Runner {Version} starting {Mode} on .NET {Runtime}, pid {ProcessId}; configuration:{Configuration}",
            Version, Mode, Environment.Version.ToString(), Environment.ProcessId, Render(configuration));

    /// <summary>One <c>NAME = value</c> line per variable, each starting on a new, indented line.</summary>
    public string Render(IConfiguration configuration)
    {
        var width = Settings.Max(s => s.Variable.Length);
        var text = new StringBuilder();
        foreach (var (variable, value) in Describe(configuration))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {variable.PadRight(width)} = {value}");
        }

        return text.ToString();
    }

    public IEnumerable<(string Variable, string Value)> Describe(IConfiguration configuration) =>
        Settings.Select(setting => (setting.Variable, Show(setting, configuration[setting.Variable])));

    private static string Show(Setting setting, string? raw)
    {
        var isSet = !string.IsNullOrWhiteSpace(raw);
        if (setting.Kind == SettingKind.Secret)
        {
            return isSet ? "set" : "missing";
        }

        if (!isSet)
        {
            return setting.Default switch
            {
                null => "(not set)",
                Setting.OwnDefault => "(default)",
                _ => $"{setting.Default} (default)",
            };
        }

        var shown = setting.Kind == SettingKind.Url ? ShowUrl(raw!.Trim()) : raw!.Trim();
        return Printable(shown);
    }

    /// <summary>Keeps scheme, host, port and path; user info and query may hold a password or a token.</summary>
    private static string ShowUrl(string value)
    {
        if (value.Contains(',', StringComparison.Ordinal))
        {
            // REDIS_URL listing several cluster nodes: each is shown (or hidden) on its own.
            return string.Join(',', value.Split(',', StringSplitOptions.TrimEntries).Select(ShowUrl));
        }

        if (!value.Contains("://", StringComparison.Ordinal))
        {
            // host:port; anything with an '@' may be password@host.
            return value.Contains('@', StringComparison.Ordinal) ? "set (not shown)" : value;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return "set (not shown: not a valid URL)";
        }

        var credentials = string.IsNullOrEmpty(uri.UserInfo) ? string.Empty : "***@";
        var port = uri.IsDefaultPort ? string.Empty : $":{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        var path = uri.AbsolutePath == "/" && !value.TrimEnd().EndsWith('/') ? string.Empty : uri.AbsolutePath;
        var query = string.IsNullOrEmpty(uri.Query) ? string.Empty : "?***";
        return $"{uri.Scheme}://{credentials}{uri.Host}{port}{path}{query}";
    }

    private static string Printable(string value)
    {
        var single = new string([.. value.Select(c => char.IsControl(c) ? ' ' : c)]);
        return single.Length <= MaxShownLength ? single : string.Concat(single.AsSpan(0, MaxShownLength), "…");
    }
}
