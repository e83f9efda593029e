using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Runner.Core.GitHub;

namespace Runner.Tests.GitHub;

public sealed class PrivateKeyTests
{
    private static IEnumerable<TestCaseData> AcceptedForms()
    {
        yield return new TestCaseData((Func<string>)(() => TestKeys.Pkcs1Pem)).SetName("PKCS#1 PEM with real newlines");
        yield return new TestCaseData((Func<string>)(() => TestKeys.Pkcs8Pem)).SetName("PKCS#8 PEM with real newlines");
        yield return new TestCaseData((Func<string>)(() => TestKeys.Pkcs1Pem.Replace("\n", "\\n", StringComparison.Ordinal)))
            .SetName("PKCS#1 PEM with literal backslash-n");
        yield return new TestCaseData((Func<string>)(() => TestKeys.Pkcs8Pem.Replace("\n", "\\n", StringComparison.Ordinal)))
            .SetName("PKCS#8 PEM with literal backslash-n");
        yield return new TestCaseData((Func<string>)(() => Convert.ToBase64String(Encoding.UTF8.GetBytes(TestKeys.Pkcs1Pem))))
            .SetName("base64 of a PKCS#1 PEM");
        yield return new TestCaseData((Func<string>)(() => Convert.ToBase64String(Encoding.UTF8.GetBytes(TestKeys.Pkcs8Pem))))
            .SetName("base64 of a PKCS#8 PEM");
        yield return new TestCaseData((Func<string>)(() => TestKeys.Pkcs1Pem.Replace("\n", "\r\n", StringComparison.Ordinal)))
            .SetName("PEM with CRLF line ends");
        yield return new TestCaseData((Func<string>)(() => "\"" + TestKeys.Pkcs1Pem.Replace("\n", "\\n", StringComparison.Ordinal) + "\""))
            .SetName("double-quoted PEM with literal backslash-n, as a .env file holds it");
    }

    [TestCaseSource(nameof(AcceptedForms))]
    public void Accepts_the_key_in_every_form_operators_pass_it(Func<string> form)
    {
        var options = new GitHubOptions { AppId = "1", PrivateKey = form() };

        Assert.That(GitHubAppPrivateKey.TryLoad(options, out var key, out var error), Is.True, error);
        using (key)
        {
            AssertIsTheAppKey(key!);
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Reads_GITHUB_APP_PRIVATE_KEY_PATH_from_a_file(bool pkcs8) =>
        WithFile(pkcs8 ? TestKeys.Pkcs8Pem : TestKeys.Pkcs1Pem, path =>
        {
            var options = new GitHubOptions { AppId = "1", PrivateKeyPath = path };

            Assert.That(GitHubAppPrivateKey.TryLoad(options, out var key, out var error), Is.True, error);
            using (key)
            {
                AssertIsTheAppKey(key!);
            }
        });

    private static IEnumerable<TestCaseData> RejectedKeys()
    {
        yield return new TestCaseData("hunter2-not-a-key", "not a PEM RSA private key").SetName("garbage");
        yield return new TestCaseData("aHVudGVyMi1ub3QtYS1rZXk=", "not a PEM RSA private key").SetName("base64 of garbage");
        yield return new TestCaseData("-----BEGIN RSA PRIVATE KEY-----\nhunter2AAAA\n-----END RSA PRIVATE KEY-----",
            "not a PEM RSA private key").SetName("damaged PEM body");
        yield return new TestCaseData("-----BEGIN RSA PRIVATE KEY-----\nMIIEhunter2", "not a PEM RSA private key")
            .SetName("truncated PEM");
    }

    [TestCaseSource(nameof(RejectedKeys))]
    public void Rejects_a_bad_key_naming_the_variable_and_the_reason_never_the_value(string value, string reason)
    {
        var result = new GitHubOptionsValidator().Validate(null, new GitHubOptions { AppId = "1", PrivateKey = value });

        Assert.That(result.Failed, Is.True);
        var failure = result.Failures!.Single();
        Assert.That(failure, Does.StartWith("GITHUB_APP_PRIVATE_KEY is " + reason));
        Assert.That(failure, Does.Not.Contain("hunter2"));
    }

    [Test]
    public void Rejects_a_public_key_saying_so()
    {
        var result = new GitHubOptionsValidator().Validate(null, new GitHubOptions { AppId = "1", PrivateKey = TestKeys.PublicPem });

        Assert.That(result.FailureMessage, Does.Contain("GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key (it is a public key"));
    }

    [Test]
    public void Rejects_an_encrypted_key_saying_so()
    {
        var encrypted = TestKeys.App.ExportEncryptedPkcs8PrivateKeyPem("pass".AsSpan(),
            new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000));
        var result = new GitHubOptionsValidator().Validate(null, new GitHubOptions { AppId = "1", PrivateKey = encrypted });

        Assert.That(result.FailureMessage, Does.Contain("(it is encrypted"));
        Assert.That(TestKeys.SecretPemLines.Any(line => result.FailureMessage.Contains(line, StringComparison.Ordinal)), Is.False);
    }

    [Test]
    public void Rejects_an_EC_key_saying_GitHub_Apps_use_RSA()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = new GitHubOptionsValidator().Validate(null, new GitHubOptions { AppId = "1", PrivateKey = ec.ExportECPrivateKeyPem() });

        Assert.That(result.FailureMessage, Does.Contain("GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key (wrong key type"));
    }

    [Test]
    public void Missing_key_file_names_the_variable_and_the_path()
    {
        var result = new GitHubOptionsValidator().Validate(null,
            new GitHubOptions { AppId = "1", PrivateKeyPath = "/nonexistent/runner/app.pem" });

        Assert.That(result.FailureMessage, Does.StartWith("GITHUB_APP_PRIVATE_KEY_PATH: file '/nonexistent/runner/app.pem' does not exist"));
    }

    [Test]
    public void Key_file_with_a_bad_key_says_the_file_is_not_a_key_without_quoting_it() =>
        WithFile("hunter2", path =>
        {
            var result = new GitHubOptionsValidator().Validate(null, new GitHubOptions { AppId = "1", PrivateKeyPath = path });

            Assert.That(result.FailureMessage, Does.StartWith("GITHUB_APP_PRIVATE_KEY_PATH: the file is not a PEM RSA private key"));
            Assert.That(result.FailureMessage, Does.Not.Contain("hunter2"));
        });

    [Test]
    public void Missing_identity_and_key_are_each_reported()
    {
        var result = new GitHubOptionsValidator().Validate(null, new GitHubOptions());

        Assert.That(result.Failures, Has.Some.StartWith("GITHUB_APP_ID is required (or GITHUB_CLIENT_ID)"));
        Assert.That(result.Failures, Has.Some.StartWith("GITHUB_APP_PRIVATE_KEY is required (or GITHUB_APP_PRIVATE_KEY_PATH)"));
    }

    [Test]
    public void Both_key_variables_set_is_an_error()
    {
        var result = new GitHubOptionsValidator().Validate(null,
            new GitHubOptions { AppId = "1", PrivateKey = TestKeys.Pkcs1Pem, PrivateKeyPath = "/run/secrets/app.pem" });

        Assert.That(result.FailureMessage, Does.Contain("GITHUB_APP_PRIVATE_KEY and GITHUB_APP_PRIVATE_KEY_PATH are both set"));
    }

    [Test]
    public void Non_numeric_app_id_is_reported()
    {
        var result = new GitHubOptionsValidator().Validate(null, new GitHubOptions { AppId = "Iv1.abc", PrivateKey = TestKeys.Pkcs1Pem });

        Assert.That(result.FailureMessage, Does.StartWith("GITHUB_APP_ID must be the App's numeric id"));
    }

    [Test]
    public void Client_id_alone_is_enough()
    {
        var result = new GitHubOptionsValidator().Validate(null, new GitHubOptions { ClientId = "Iv23liABC", PrivateKey = TestKeys.Pkcs8Pem });

        Assert.That(result.Succeeded, Is.True, result.FailureMessage);
    }

    [Test]
    public async Task A_bad_key_stops_start_up_through_ValidateOnStart()
    {
        await using var context = await GitHubTestContext.StartAsync(s => s[GitHubOptions.PrivateKeyVariable] = "hunter2");

        var exception = Assert.Throws<OptionsValidationException>(() =>
            Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
                .GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>(context.Services).Validate());
        Assert.That(exception!.Failures, Has.Some.StartWith("GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key"));
        Assert.That(exception.Message, Does.Not.Contain("hunter2"));
    }

    private static void WithFile(string content, Action<string> test)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, content);
            test(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertIsTheAppKey(RSA key)
    {
        var data = Encoding.UTF8.GetBytes("proof");
        var signature = key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.That(TestKeys.App.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), Is.True);
    }
}
