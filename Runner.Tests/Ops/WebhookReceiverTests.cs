using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Webhook;
using StackExchange.Redis;

namespace Runner.Tests.Ops;

/// <summary><c>runner webhook</c> over a real socket, writing to a real redis-server.</summary>
public sealed class WebhookReceiverTests
{
    private const string Stream = "test:webhook:jobs";
    private const string IssuePayload = """{"action":"opened","issue":{"number":7,"title":"It breaks"},"repository":{"full_name":"octo/demo"}}""";

    private LocalRedisServer redis = null!;
    private ConnectionMultiplexer connection = null!;
    private WebhookServer server = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        redis = await LocalRedisServer.StartAsync();
        connection = await ConnectionMultiplexer.ConnectAsync(redis.HostPort);
        server = await WebhookServer.StartAsync(redis.Url, Stream);
        client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await server.DisposeAsync();
        await connection.DisposeAsync();
        await redis.DisposeAsync();
    }

    [SetUp]
    public Task ClearStreamAsync() => connection.GetDatabase().KeyDeleteAsync(Stream);

    [Test]
    public async Task Signed_delivery_is_answered_202_and_queued_with_the_contract_fields()
    {
        using var response = await PostAsync(IssuePayload, delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        var entries = await connection.GetDatabase().StreamRangeAsync(Stream);
        Assert.That(entries, Has.Length.EqualTo(1));
        var fields = entries[0].Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString());
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Multiple(() =>
        {
            Assert.That(fields[JobFields.Event], Is.EqualTo("issues"));
            Assert.That(fields[JobFields.Delivery], Is.EqualTo("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
            Assert.That(fields[JobFields.Payload], Is.EqualTo(IssuePayload), "the payload is queued byte for byte");
            Assert.That(long.Parse(fields[JobFields.EnqueuedAt], System.Globalization.CultureInfo.InvariantCulture),
                Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).Within(60_000));
            Assert.That(answer.RootElement.GetProperty("streamId").GetString(), Is.EqualTo(entries[0].Id.ToString()));
        });
    }

    [TestCase("sha256=0000000000000000000000000000000000000000000000000000000000000000", TestName = "Wrong signature is 401 and queues nothing")]
    [TestCase(null, TestName = "Missing signature is 401 and queues nothing")]
    [TestCase("sha256=not-hex", TestName = "Malformed signature is 401 and queues nothing")]
    [TestCase("sha1=0000000000000000000000000000000000000000", TestName = "SHA-1 signature alone is 401 and queues nothing")]
    public async Task Bad_signature_is_401_and_nothing_is_queued(string? signature)
    {
        using var response = await PostAsync(IssuePayload, signature: signature, sign: false);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await StreamLengthAsync(), Is.Zero);
    }

    [Test]
    public async Task Signature_made_with_another_secret_is_401()
    {
        var body = Encoding.UTF8.GetBytes(IssuePayload);
        using var response = await PostAsync(IssuePayload, signature: WebhookSignature.Sign("another secret", body), sign: false);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await StreamLengthAsync(), Is.Zero);
    }

    [Test]
    public async Task Body_over_25_MB_is_413_and_nothing_is_queued()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "webhook")
        {
            Content = new ByteArrayContent(new byte[WebhookOptions.MaxBodyBytes + 1]),
        };
        request.Headers.ExpectContinue = true;
        request.Headers.Add(WebhookReceiver.EventHeader, "issues");
        request.Headers.Add(WebhookReceiver.DeliveryHeader, "big");

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await StreamLengthAsync(), Is.Zero);
    }

    [TestCase(WebhookReceiver.EventHeader)]
    [TestCase(WebhookReceiver.DeliveryHeader)]
    public async Task Missing_github_header_is_400_and_nothing_is_queued(string missing)
    {
        using var response = await PostAsync(IssuePayload,
            eventName: missing == WebhookReceiver.EventHeader ? null : "issues",
            delivery: missing == WebhookReceiver.DeliveryHeader ? null : "d-400");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await StreamLengthAsync(), Is.Zero);
    }

    [Test]
    public async Task Signed_body_that_is_not_json_is_400()
    {
        using var response = await PostAsync("this is not json");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await StreamLengthAsync(), Is.Zero);
    }

    [Test]
    public async Task Redelivery_of_the_same_delivery_is_accepted_and_queued_again_for_the_worker_to_deduplicate()
    {
        using var first = await PostAsync(IssuePayload, delivery: "same-delivery");
        using var again = await PostAsync(IssuePayload, delivery: "same-delivery");

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        var deliveries = (await connection.GetDatabase().StreamRangeAsync(Stream))
            .Select(e => e.Values.Single(v => v.Name == JobFields.Delivery).Value.ToString());
        Assert.That(deliveries, Is.EqualTo(new[] { "same-delivery", "same-delivery" }));
    }

    [Test]
    public async Task Ping_is_answered_200_and_not_queued()
    {
        using var response = await PostAsync("""{"zen":"Keep it logically awesome.","hook_id":1}""", eventName: "ping");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await StreamLengthAsync(), Is.Zero);
    }

    [Test]
    public async Task Form_encoded_delivery_is_queued_with_the_json_payload()
    {
        var form = "payload=" + Uri.EscapeDataString(IssuePayload);
        using var response = await PostAsync(form, contentType: "application/x-www-form-urlencoded");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        var entry = (await connection.GetDatabase().StreamRangeAsync(Stream)).Single();
        Assert.That(entry.Values.Single(v => v.Name == JobFields.Payload).Value.ToString(), Is.EqualTo(IssuePayload));
    }

    [Test]
    public async Task Healthz_is_200_while_redis_answers()
    {
        using var response = await client.GetAsync(new Uri("healthz", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith("ok"));
    }

    [Test]
    public async Task Get_on_webhook_is_not_allowed()
    {
        using var response = await client.GetAsync(new Uri("webhook", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
    }

    private async Task<HttpResponseMessage> PostAsync(
        string body,
        string? eventName = "issues",
        string? delivery = "d-1",
        string? signature = null,
        bool sign = true,
        string contentType = "application/json")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, "webhook") { Content = content };
        if (eventName is not null)
        {
            request.Headers.Add(WebhookReceiver.EventHeader, eventName);
        }

        if (delivery is not null)
        {
            request.Headers.Add(WebhookReceiver.DeliveryHeader, delivery);
        }

        var header = sign ? WebhookSignature.Sign(WebhookServer.Secret, bytes) : signature;
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header, header);
        }

        return await client.SendAsync(request);
    }

    private Task<long> StreamLengthAsync() => connection.GetDatabase().StreamLengthAsync(Stream);
}
