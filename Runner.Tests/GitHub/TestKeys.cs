using System.Security.Cryptography;

namespace Runner.Tests.GitHub;

/// <summary>RSA keys generated once per test run (2048-bit, like the keys GitHub issues).</summary>
internal static class TestKeys
{
    private static readonly Lazy<RSA> AppKey = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> StrangerKey = new(() => RSA.Create(2048));

    public static RSA App => AppKey.Value;

    /// <summary>A valid key that is not the App's: GitHub answers 401 to JWTs it signs.</summary>
    public static RSA Stranger => StrangerKey.Value;

    public static string Pkcs1Pem => App.ExportRSAPrivateKeyPem();

    public static string Pkcs8Pem => App.ExportPkcs8PrivateKeyPem();

    public static string PublicPem => App.ExportSubjectPublicKeyInfoPem();

    /// <summary>Every base64 line of the App key's PEM forms: none may ever show up in a log or an error.</summary>
    public static IEnumerable<string> SecretPemLines =>
        (Pkcs1Pem + "\n" + Pkcs8Pem).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(line => !line.StartsWith("-----", StringComparison.Ordinal));
}
