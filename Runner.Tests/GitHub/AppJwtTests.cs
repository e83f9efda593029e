using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Runner.Core.GitHub;

namespace Runner.Tests.GitHub;

public sealed class AppJwtTests
{
    [Test]
    public async Task Jwt_is_RS256_backdated_a_minute_valid_nine_minutes_and_issued_by_the_app_id()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var now = context.Clock.GetUtcNow();

        var jwt = context.Services.GetRequiredService<AppJwtSigner>().GetJwt();

        var (header, claims) = Decode(jwt);
        Assert.Multiple(() =>
        {
            Assert.That(header.GetProperty("alg").GetString(), Is.EqualTo("RS256"));
            Assert.That(claims.GetProperty("iat").GetInt64(), Is.EqualTo(now.AddSeconds(-60).ToUnixTimeSeconds()));
            Assert.That(claims.GetProperty("exp").GetInt64(), Is.EqualTo(now.AddMinutes(9).ToUnixTimeSeconds()));
            Assert.That(claims.GetProperty("iss").GetRawText(), Is.EqualTo(GitHubTestContext.AppId));
            Assert.That(VerifiesWith(jwt, TestKeys.App), Is.True);
        });
    }

    [Test]
    public async Task Issuer_is_the_client_id_when_it_is_set()
    {
        await using var context = await GitHubTestContext.StartAsync(s => s[GitHubOptions.ClientIdVariable] = "Iv23liRunnerTest");
        context.StandIn.ExpectedIssuer = "Iv23liRunnerTest";

        var app = await context.App.GetAppAsync(CancellationToken.None);

        Assert.That(app.Slug, Is.EqualTo("runner-test"));
        Assert.That(Decode(context.StandIn.SeenJwts.Single()).Claims.GetProperty("iss").GetString(), Is.EqualTo("Iv23liRunnerTest"));
    }

    [Test]
    public async Task Jwt_is_reused_across_calls_and_re_signed_before_it_expires()
    {
        await using var context = await GitHubTestContext.StartAsync();

        await context.App.GetAppAsync(CancellationToken.None);
        context.Clock.Advance(TimeSpan.FromMinutes(6));
        await context.App.ListInstallationsAsync(CancellationToken.None);
        context.Clock.Advance(TimeSpan.FromMinutes(1.5));
        await context.App.GetAppAsync(CancellationToken.None);
        context.Clock.Advance(TimeSpan.FromMinutes(8.5));
        await context.App.GetAppAsync(CancellationToken.None);

        var jwts = context.StandIn.SeenJwts.ToArray();
        Assert.That(jwts, Has.Length.EqualTo(4));
        Assert.That(jwts[1], Is.EqualTo(jwts[0]), "reused 6 minutes later");
        Assert.That(jwts[2], Is.Not.EqualTo(jwts[1]), "re-signed once less than 2 minutes of validity were left");
        Assert.That(jwts[3], Is.Not.EqualTo(jwts[2]), "re-signed after a long pause instead of sending an expired JWT");
    }

    [Test]
    public async Task Jwt_signed_with_another_key_is_rejected_by_the_stand_in()
    {
        // Guards the stand-in itself: a signature check that always passed would make the other tests worthless.
        await using var context = await GitHubTestContext.StartAsync(s => s[GitHubOptions.PrivateKeyVariable] = TestKeys.Stranger.ExportRSAPrivateKeyPem());

        var exception = GitHubAssert.ThrowsPermanentAsync(() => context.App.GetAppAsync(CancellationToken.None));

        Assert.That(exception!.Message, Does.StartWith("GitHub GET /app for the App answered 401 Unauthorized"));
        Assert.That(exception.Message, Does.Contain("GITHUB_APP_ID / GITHUB_CLIENT_ID belong to this private key"));
        Assert.That(context.StandIn.RequestsTo("GET", "/api/v3/app"), Has.Count.EqualTo(2), "one retry with a re-signed JWT, then give up");
    }

    internal static (JsonElement Header, JsonElement Claims) Decode(string jwt)
    {
        var parts = jwt.Split('.');
        return (JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement,
            JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement);
    }

    private static bool VerifiesWith(string jwt, RSA key)
    {
        var parts = jwt.Split('.');
        return key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
