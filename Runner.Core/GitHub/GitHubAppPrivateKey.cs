using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Runner.Core.GitHub;

/// <summary>
/// Reads the App's private key in every shape operators hand it over: a PEM with real newlines, a PEM whose
/// newlines are the two characters <c>\n</c> (.env files, EasyPanel), a base64-encoded PEM, PKCS#1 or PKCS#8,
/// inline (<c>GITHUB_APP_PRIVATE_KEY</c>) or from a file (<c>GITHUB_APP_PRIVATE_KEY_PATH</c>).
/// </summary>
/// <remarks>Error messages name the variable and the reason; they never quote the value.</remarks>
internal static class GitHubAppPrivateKey
{
    private const string PemMarker = "-----BEGIN";

    public static bool TryLoad(GitHubOptions options, [NotNullWhen(true)] out RSA? key, out string error)
    {
        key = null;
        var inline = !string.IsNullOrWhiteSpace(options.PrivateKey);
        var path = options.PrivateKeyPath?.Trim();
        if (inline && !string.IsNullOrEmpty(path))
        {
            error = $"{GitHubOptions.PrivateKeyVariable} and {GitHubOptions.PrivateKeyPathVariable} are both set: set only one";
            return false;
        }

        if (!inline && string.IsNullOrEmpty(path))
        {
            error = $"{GitHubOptions.PrivateKeyVariable} is required (or {GitHubOptions.PrivateKeyPathVariable}): the App's private key (.pem)";
            return false;
        }

        var variable = inline ? GitHubOptions.PrivateKeyVariable : GitHubOptions.PrivateKeyPathVariable;
        string text;
        if (inline)
        {
            text = options.PrivateKey!;
        }
        else if (!TryReadFile(path!, out text, out var readError))
        {
            error = $"{GitHubOptions.PrivateKeyPathVariable}: {readError}";
            return false;
        }

        if (!TryParse(text, out key, out var reason))
        {
            error = inline ? $"{variable} is {reason}" : $"{variable}: the file is {reason}";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <param name="reason">Completes "… is {reason}", e.g. "not a PEM RSA private key (it is a public key)".</param>
    public static bool TryParse(string text, [NotNullWhen(true)] out RSA? key, out string reason)
    {
        key = null;
        var pem = Unwrap(text);
        if (pem is null)
        {
            return TryImportDer(text, out key, out reason);
        }

        if (!PemEncoding.TryFind(pem, out var fields))
        {
            reason = "not a PEM RSA private key (no complete -----BEGIN/-----END block)";
            return false;
        }

        var label = pem[fields.Label];
        if (label is not ("RSA PRIVATE KEY" or "PRIVATE KEY"))
        {
            reason = "not a PEM RSA private key" + label switch
            {
                "ENCRYPTED PRIVATE KEY" => " (it is encrypted: export it without a passphrase)",
                "PUBLIC KEY" or "RSA PUBLIC KEY" => " (it is a public key: use the private key GitHub downloaded)",
                "EC PRIVATE KEY" or "OPENSSH PRIVATE KEY" => " (wrong key type: GitHub Apps use RSA keys)",
                _ => string.Empty,
            };
            return false;
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem[fields.Location]);
            rsa.SignData([0], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            reason = "not a PEM RSA private key (the key data is damaged or not RSA)";
            return false;
        }

        key = rsa;
        reason = string.Empty;
        return true;
    }

    /// <summary>Returns PEM text, undoing quoting, escaped newlines and base64 wrapping; null when there is no PEM.</summary>
    private static string? Unwrap(string text)
    {
        var value = text.Trim();
        if (value.Length >= 2 && (value[0] is '"' or '\'') && value[^1] == value[0])
        {
            value = value[1..^1].Trim();
        }

        value = value.Replace("\\r\\n", "\n", StringComparison.Ordinal)
            .Replace("\\n", "\n", StringComparison.Ordinal)
            .Replace("\r\n", "\n", StringComparison.Ordinal);
        if (value.Contains(PemMarker, StringComparison.Ordinal))
        {
            return value;
        }

        var decoded = TryDecodeBase64(value);
        if (decoded is null)
        {
            return null;
        }

        var inner = Encoding.UTF8.GetString(decoded);
        return inner.Contains(PemMarker, StringComparison.Ordinal) ? Unwrap(inner) : null;
    }

    private static bool TryImportDer(string text, [NotNullWhen(true)] out RSA? key, out string reason)
    {
        key = null;
        reason = "not a PEM RSA private key";
        var der = TryDecodeBase64(text.Trim());
        if (der is null)
        {
            return false;
        }

        var rsa = RSA.Create();
        try
        {
            try
            {
                rsa.ImportPkcs8PrivateKey(der, out _);
            }
            catch (CryptographicException)
            {
                rsa.ImportRSAPrivateKey(der, out _);
            }

            key = rsa;
            reason = string.Empty;
            return true;
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            return false;
        }
    }

    private static byte[]? TryDecodeBase64(string value)
    {
        var compact = string.Concat(value.Where(c => !char.IsWhiteSpace(c)));
        if (compact.Length == 0)
        {
            return null;
        }

        var buffer = new byte[compact.Length];
        return Convert.TryFromBase64String(compact, buffer, out var written) ? buffer[..written] : null;
    }

    private static bool TryReadFile(string path, out string text, out string error)
    {
        text = string.Empty;
        try
        {
            text = File.ReadAllText(path);
            error = string.Empty;
            return true;
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            error = $"file '{path}' does not exist";
        }
        catch (UnauthorizedAccessException)
        {
            error = $"file '{path}' cannot be read (permission denied)";
        }
        catch (IOException exception)
        {
            error = $"file '{path}' cannot be read ({exception.GetType().Name})";
        }

        return false;
    }
}
