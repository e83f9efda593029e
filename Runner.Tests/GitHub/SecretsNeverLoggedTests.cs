using Runner.Core.GitHub;
using Runner.Core.Queue;

namespace Runner.Tests.GitHub;

public sealed class SecretsNeverLoggedTests
{
    /// <summary>
    /// Runs every flow that logs or fails (exchange, refresh after 401, limit waits, long-wait hand-back, 404/422,
    /// rejected JWT, bad key, the CLI) with every log level captured, then looks for any private-key line, JWT
    /// or token in all log lines, exception texts (with inner exceptions) and CLI output.
    /// </summary>
    [Test]
    public async Task No_log_line_exception_or_output_contains_the_key_a_jwt_or_a_token()
    {
        await using var context = await GitHubTestContext.StartAsync();
        var texts = new List<string>();

        var client = await context.ClientAsync();
        await client.Issue.Get("octo-org", "hello", 1);
        context.StandIn.Revoke(context.StandIn.IssuedTokens.Single());
        await client.Issue.Comment.Create("octo-org", "hello", 1, "after a refresh");

        context.StandIn.Enqueue("GET", "repos/octo-org/hello/issues/2", 429, """{"message":"slow down"}""", ("retry-after", "5"));
        var waiting = client.Issue.Get("octo-org", "hello", 2);
        await context.Clock.AdvanceNextTimerAsync();
        await waiting;

        context.StandIn.Enqueue("GET", "repos/octo-org/hello/issues/3", 401, """{"message":"Bad credentials"}""");
        context.StandIn.Enqueue("GET", "repos/octo-org/hello/issues/3", 401, """{"message":"Bad credentials"}""");
        texts.Add(await FailureAsync(() => GitHubAssert.RunAsync("read #3", GitHubTestContext.Repository,
            () => client.Issue.Get("octo-org", "hello", 3))));

        context.StandIn.Enqueue("POST", "repos/octo-org/hello/issues/1/comments", 422, """{"message":"Validation Failed"}""");
        texts.Add(await FailureAsync(() => client.Issue.Comment.Create("octo-org", "hello", 1, "invalid")));

        context.StandIn.Enqueue("GET", "repos/octo-org/hello/issues/4", 403, """{"message":"API rate limit exceeded"}""",
            ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", context.StandIn.Unix(TimeSpan.FromHours(1))));
        texts.Add(await FailureAsync(() => client.Issue.Get("octo-org", "hello", 4)));

        texts.Add(await FailureAsync(() => context.ClientAsync(installationId: 999)));
        texts.Add(await FailureAsync(() => context.ClientAsync(repository: new RepositoryRef("octo-org", "private"))));

        context.StandIn.ExpectedIssuer = "someone-else";
        texts.Add(await FailureAsync(() => context.App.GetAppAsync(CancellationToken.None)));
        var (_, output, error) = await GitHubCheckCommandTests.RunAsync(context, null, "github", "check");
        texts.Add(output);
        texts.Add(error);
        context.StandIn.ExpectedIssuer = GitHubTestContext.AppId;

        var pemLines = TestKeys.Pkcs1Pem.Split('\n');
        var damaged = string.Join('\n', pemLines.Take(3).Concat(pemLines.Skip(5)));
        texts.AddRange(new GitHubOptionsValidator().Validate(null, new GitHubOptions { AppId = "1", PrivateKey = damaged }).Failures!);
        (_, output, error) = await GitHubCheckCommandTests.RunAsync(context, s => s[GitHubOptions.PrivateKeyVariable] = damaged, "github", "check");
        texts.Add(output);
        texts.Add(error);

        var jwts = context.StandIn.SeenJwts.Distinct().ToArray();
        var tokens = context.StandIn.IssuedTokens.ToArray();
        var secrets = TestKeys.SecretPemLines
            .Concat(jwts)
            .Concat(jwts.Select(jwt => jwt.Split('.')[2]))
            .Concat(tokens)
            .ToArray();
        var everything = context.Logs.Lines().Concat(texts).ToArray();

        Assert.That(jwts, Has.Length.GreaterThanOrEqualTo(2), "the flows must have used JWTs");
        Assert.That(tokens, Has.Length.GreaterThanOrEqualTo(2), "the flows must have used tokens");
        Assert.That(context.Logs.Lines(), Has.Some.Contains("Created an installation token"), "the capture must see Runner's logs");
        Assert.That(context.Logs.Lines(), Has.Some.Contains("retrying once with fresh credentials"));
        Assert.That(texts, Has.Some.Contains("GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key"));
        var leaks = everything.SelectMany(text => secrets.Where(secret => text.Contains(secret, StringComparison.Ordinal))
            .Select(secret => $"{secret[..Math.Min(12, secret.Length)]}… in: {text[..Math.Min(160, text.Length)]}")).ToArray();
        Assert.That(leaks, Is.Empty);
    }

    private static async Task<string> FailureAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception exception)
        {
            return exception.ToString();
        }

        Assert.Fail("the flow was expected to fail");
        return string.Empty;
    }
}
