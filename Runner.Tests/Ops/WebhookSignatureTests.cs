using System.Text;
using Runner.Webhook;

namespace Runner.Tests.Ops;

public sealed class WebhookSignatureTests
{
    // The example from GitHub's "Validating webhook deliveries" documentation.
    private const string DocsSecret = "It's a Secret to Everybody";
    private const string DocsBody = "Hello, World!";
    private const string DocsSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    [Test]
    public void Signs_like_github_documents()
    {
        Assert.That(WebhookSignature.Sign(DocsSecret, Encoding.UTF8.GetBytes(DocsBody)), Is.EqualTo(DocsSignature));
    }

    [Test]
    public void Accepts_githubs_documented_example_in_either_hex_case()
    {
        var secret = Encoding.UTF8.GetBytes(DocsSecret);
        var body = Encoding.UTF8.GetBytes(DocsBody);
        Assert.That(WebhookSignature.IsValid(secret, body, DocsSignature), Is.True);
        Assert.That(WebhookSignature.IsValid(secret, body, "sha256=" + DocsSignature["sha256=".Length..].ToUpperInvariant()), Is.True);
    }

    [TestCase("Hello, World?", DocsSignature)]
    [TestCase(DocsBody, "sha256=857107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
    [TestCase(DocsBody, "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
    [TestCase(DocsBody, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1")]
    [TestCase(DocsBody, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17 ")]
    [TestCase(DocsBody, "")]
    [TestCase(DocsBody, null)]
    public void Rejects_a_changed_body_or_a_wrong_or_malformed_signature(string body, string? header)
    {
        Assert.That(WebhookSignature.IsValid(Encoding.UTF8.GetBytes(DocsSecret), Encoding.UTF8.GetBytes(body), header), Is.False);
    }

    [Test]
    public async Task Bounded_reader_returns_null_past_the_limit_even_without_a_content_length()
    {
        using var exact = new MemoryStream(new byte[1000]);
        using var over = new MemoryStream(new byte[1001]);

        Assert.That(await WebhookBody.ReadAsync(exact, contentLength: null, maxBytes: 1000, CancellationToken.None), Has.Length.EqualTo(1000));
        Assert.That(await WebhookBody.ReadAsync(over, contentLength: null, maxBytes: 1000, CancellationToken.None), Is.Null);
    }
}
