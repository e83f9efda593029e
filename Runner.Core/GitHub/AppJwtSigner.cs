using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Runner.Core.GitHub;

/// <summary>
/// Signs the App's RS256 JWT with the BCL and reuses it: a JWT lives 9 minutes (GitHub rejects more than 10)
/// and is re-signed once less than 2 minutes are left, never per request.
/// </summary>
internal sealed class AppJwtSigner : IDisposable
{
    /// <summary>GitHub's advice: backdate <c>iat</c> a minute against clock drift.</summary>
    public static readonly TimeSpan Backdate = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(9);

    public static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(2);

    private static readonly byte[] Header = Encoding.UTF8.GetBytes("""{"alg":"RS256","typ":"JWT"}""");

    private readonly RSA key;
    private readonly string issuer;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<AppJwtSigner> logger;
    private readonly Lock gate = new();
    private string? current;
    private DateTimeOffset renewAt;

    public AppJwtSigner(IOptions<GitHubOptions> options, TimeProvider timeProvider, ILogger<AppJwtSigner> logger)
    {
        var value = options.Value;
        if (!GitHubAppPrivateKey.TryLoad(value, out var loaded, out var error))
        {
            throw new OptionsValidationException(GitHubOptions.PrivateKeyVariable, typeof(GitHubOptions), [error]);
        }

        key = loaded;
        issuer = value.Issuer;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    public string GetJwt()
    {
        lock (gate)
        {
            var now = timeProvider.GetUtcNow();
            if (current is null || now >= renewAt)
            {
                current = Sign(key, issuer, now);
                renewAt = now + Lifetime - RenewBefore;
                logger.LogDebug("Signed a new GitHub App JWT for issuer {Issuer}, valid until {ExpiresAt:O}", issuer, now + Lifetime);
            }

            return current;
        }
    }

    /// <summary>GitHub answered 401 to this JWT: sign a fresh one next time (unless another caller already did).</summary>
    public void Reject(string jwt)
    {
        lock (gate)
        {
            if (current == jwt)
            {
                current = null;
            }
        }
    }

    public void Dispose() => key.Dispose();

    internal static string Sign(RSA key, string issuer, DateTimeOffset now)
    {
        var payload = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteNumber("iat", (now - Backdate).ToUnixTimeSeconds());
            writer.WriteNumber("exp", (now + Lifetime).ToUnixTimeSeconds());

            // A numeric app id goes out as a number, as GitHub's own examples send it; a client id is a string.
            if (long.TryParse(issuer, NumberStyles.None, CultureInfo.InvariantCulture, out var appId))
            {
                writer.WriteNumber("iss", appId);
            }
            else
            {
                writer.WriteString("iss", issuer);
            }

            writer.WriteEndObject();
        }

        var signingInput = Base64Url.EncodeToString(Header) + "." + Base64Url.EncodeToString(payload.WrittenSpan);
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }
}
