using Runner.Webhook;

namespace Runner.Tests.Ops;

public sealed class WebhookOptionsTests
{
    [TestCase(null, null, "http://0.0.0.0:8080", "http://127.0.0.1:8080/healthz")]
    [TestCase(null, "9000", "http://0.0.0.0:9000", "http://127.0.0.1:9000/healthz")]
    [TestCase("http://+:7000;http://[::]:7001", "9000", "http://+:7000", "http://127.0.0.1:7000/healthz")]
    [TestCase("http://127.0.0.1:6000/", null, "http://127.0.0.1:6000/", "http://127.0.0.1:6000/healthz")]
    public void Listens_on_the_urls_else_on_port_else_8080_and_probes_itself_on_loopback(string? urls, string? port, string firstUrl, string healthUrl)
    {
        var options = new WebhookOptions { Urls = urls, Port = port };

        Assert.That(options.ListenUrls[0], Is.EqualTo(firstUrl));
        Assert.That(options.LocalHealthUrl().ToString(), Is.EqualTo(healthUrl));
    }

    [Test]
    public void Missing_secret_and_bad_port_fail_naming_the_variables()
    {
        var result = new WebhookOptionsValidator().Validate(null, new WebhookOptions { Port = "eighty" });

        Assert.That(result.Failed, Is.True);
        Assert.That(result.Failures, Has.Some.StartsWith("GITHUB_WEBHOOK_SECRET is required"));
        Assert.That(result.Failures, Has.Some.StartsWith("PORT must be"));
    }

    [Test]
    public void Bad_url_fails_without_repeating_the_secret()
    {
        var result = new WebhookOptionsValidator().Validate(null, new WebhookOptions { Secret = "s3cr3t-value", Urls = "ftp://0.0.0.0:21" });

        Assert.That(result.Failures, Has.One.StartsWith("RUNNER_WEBHOOK_URLS must"));
        Assert.That(string.Join(' ', result.Failures!), Does.Not.Contain("s3cr3t-value"));
    }

    [Test]
    public void Valid_settings_pass()
    {
        var result = new WebhookOptionsValidator().Validate(null, new WebhookOptions { Secret = "x", Port = "8081" });

        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Failures ?? []));
    }
}
