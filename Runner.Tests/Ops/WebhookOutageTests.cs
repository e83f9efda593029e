using System.Net;
using System.Text;
using Runner.Core.Redis;
using Runner.Webhook;

namespace Runner.Tests.Ops;

/// <summary>The receiver with Redis gone: GitHub must see a failure (and can redeliver), not a 202 for a lost job.</summary>
public sealed class WebhookOutageTests
{
    [Test]
    public async Task Without_redis_a_delivery_is_503_and_healthz_is_503()
    {
        await using var redis = await LocalRedisServer.StartAsync();
        await using var server = await WebhookServer.StartAsync(redis.Url);
        // GitHub gives up on a delivery after 10 s: so does this client, and a receiver waiting on Redis fails the test.
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await redis.KillAsync();

        var body = Encoding.UTF8.GetBytes("""{"action":"opened"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, "webhook") { Content = new ByteArrayContent(body) };
        request.Headers.Add(WebhookReceiver.EventHeader, "issues");
        request.Headers.Add(WebhookReceiver.DeliveryHeader, "during-outage");
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(WebhookServer.Secret, body));
        using var delivery = await client.SendAsync(request);
        using var health = await client.GetAsync(new Uri("healthz", UriKind.Relative));

        Assert.That(delivery.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
    }
}
