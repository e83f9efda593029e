using System.Globalization;
using StackExchange.Redis;

namespace Runner.Core.Redis;

/// <summary>
/// Parses <c>REDIS_URL</c>: <c>redis://[user:password@]host[:port][/db]</c>, <c>rediss://…</c> (TLS) or a
/// plain <c>host:port</c>, optionally followed by more <c>,host[:port]</c> endpoints of the same deployment (seed
/// nodes of a Redis Cluster: any one that answers is enough to discover the rest). Extra endpoints share the first
/// one's scheme, credentials and database. Errors never repeat the value, since it may carry a password.
/// </summary>
public static class RedisUrl
{
    public const string Variable = "REDIS_URL";

    private const int DefaultPort = 6379;

    public static bool TryParse(string? value, out ConfigurationOptions options, out string error)
    {
        options = new ConfigurationOptions();
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = $"{Variable} is empty";
            return false;
        }

        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        if (!TryParseFirst(parts[0], options, out error))
        {
            return false;
        }

        foreach (var extra in parts.Skip(1))
        {
            if (extra.Contains("://", StringComparison.Ordinal) || !TryParseHostPort(extra, options, out _))
            {
                error = $"{Variable} lists an endpoint after a comma that is not host[:port] (extra cluster nodes share the first URL's scheme and credentials)";
                return false;
            }
        }

        return true;
    }

    private static bool TryParseFirst(string value, ConfigurationOptions options, out string error)
    {
        error = string.Empty;
        if (!value.Contains("://", StringComparison.Ordinal))
        {
            return TryParseHostPort(value, options, out error);
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            error = $"{Variable} is not a valid URL (expected redis://[user:password@]host[:port][/db])";
            return false;
        }

        if (uri.Scheme is not ("redis" or "rediss"))
        {
            error = $"{Variable} has scheme '{uri.Scheme}'; expected redis:// or rediss://";
            return false;
        }

        options.Ssl = uri.Scheme == "rediss";
        options.EndPoints.Add(uri.IdnHost, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port);

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            if (parts.Length == 2)
            {
                var user = Uri.UnescapeDataString(parts[0]);
                options.User = user.Length == 0 || user == "default" ? null : user;
                options.Password = Uri.UnescapeDataString(parts[1]);
            }
            else
            {
                // redis://password@host is how many hosted Redis providers hand out a password-only URL.
                options.Password = Uri.UnescapeDataString(parts[0]);
            }
        }

        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out var database) || database > 15)
            {
                error = $"{Variable} names database '/{path}'; expected a number from 0 to 15";
                return false;
            }

            options.DefaultDatabase = database;
        }

        return true;
    }

    private static bool TryParseHostPort(string value, ConfigurationOptions options, out string error)
    {
        error = string.Empty;
        var colon = value.LastIndexOf(':');
        var host = colon < 0 ? value : value[..colon];
        var port = DefaultPort;
        if (colon >= 0 && !int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            error = $"{Variable} is not host:port or a redis:// URL";
            return false;
        }

        // CheckHostName rejects what no resolver accepts (spaces, '@' of password@host) before it reaches the client.
        if (port is <= 0 or > 65535 || Uri.CheckHostName(host.Trim('[', ']')) == UriHostNameType.Unknown)
        {
            error = $"{Variable} is not host:port or a redis:// URL";
            return false;
        }

        options.EndPoints.Add(host, port);
        return true;
    }
}
