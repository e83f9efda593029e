using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Runner.Webhook;

/// <summary>GitHub's <c>X-Hub-Signature-256</c>: <c>sha256=</c> + lowercase hex HMAC-SHA256 of the raw body.</summary>
internal static class WebhookSignature
{
    public const string Header = "X-Hub-Signature-256";

    private const string Prefix = "sha256=";
    private const int HashBytes = 32;

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Constant-time: the answer takes as long for a near miss as for a wild guess.</summary>
    public static bool IsValid(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> body, string? header)
    {
        if (header is null || header.Length != Prefix.Length + (HashBytes * 2)
            || !header.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> given = stackalloc byte[HashBytes];
        if (Convert.FromHexString(header.AsSpan(Prefix.Length), given, out _, out var written) != OperationStatus.Done
            || written != HashBytes)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HashBytes];
        HMACSHA256.HashData(secret, body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
