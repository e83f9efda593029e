using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Queue;
using StackExchange.Redis;

namespace Runner.Webhook;

/// <summary>
/// Checks a GitHub delivery and puts it on the job stream exactly as the job contract says; the worker does the
/// rest. Answers in milliseconds (one XADD), well inside GitHub's 10 s.
/// </summary>
internal sealed class WebhookReceiver
{
    public const string EventHeader = "X-GitHub-Event";
    public const string DeliveryHeader = "X-GitHub-Delivery";

    private const int MaxHeaderLength = 200;
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Well inside GitHub's 10 s. If Redis is away the client would keep the XADD queued for its own, longer
    /// timeout; GitHub is better served by a quick 503 it can redeliver.
    /// </summary>
    private static readonly TimeSpan EnqueueTimeout = TimeSpan.FromSeconds(3);

    private readonly IConnectionMultiplexer redis;
    private readonly byte[] secret;
    private readonly JobProducer producer;
    private readonly ILogger<WebhookReceiver> logger;
    private readonly TimeProvider timeProvider;

    public WebhookReceiver(
        IConnectionMultiplexer redis,
        IOptions<WebhookOptions> options,
        IOptions<QueueOptions> queue,
        TimeProvider timeProvider,
        ILogger<WebhookReceiver> logger)
    {
        this.redis = redis;
        this.logger = logger;
        this.timeProvider = timeProvider;
        secret = Encoding.UTF8.GetBytes(options.Value.Secret ?? string.Empty);
        producer = new JobProducer(redis, queue.Value.Stream, timeProvider);
    }

    public async Task<IResult> ReceiveAsync(HttpContext context)
    {
        var request = context.Request;
        string? delivery = request.Headers[DeliveryHeader];
        byte[]? body = null;
        if (request.ContentLength is null or <= WebhookOptions.MaxBodyBytes)
        {
            try
            {
                body = await WebhookBody.ReadAsync(request.Body, request.ContentLength, WebhookOptions.MaxBodyBytes, context.RequestAborted);
            }
            catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                // Kestrel's own limit tripped first: same answer.
            }
        }

        if (body is null)
        {
            logger.LogWarning("Rejected webhook delivery {Delivery}: body larger than {MaxBytes} bytes", delivery, WebhookOptions.MaxBodyBytes);
            return Results.Text("body larger than 25 MB\n", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        string? signature = request.Headers[WebhookSignature.Header];
        if (!WebhookSignature.IsValid(secret, body, signature))
        {
            var reason = signature is null ? "no X-Hub-Signature-256 header" : "signature does not match GITHUB_WEBHOOK_SECRET";
            logger.LogWarning("Rejected webhook delivery {Delivery} from {RemoteAddress}: {Reason}",
                delivery, context.Connection.RemoteIpAddress?.ToString(), reason);
            return Results.Text(reason + "\n", statusCode: StatusCodes.Status401Unauthorized);
        }

        string? eventName = request.Headers[EventHeader];
        if (!IsHeaderValue(eventName) || !IsHeaderValue(delivery))
        {
            return Results.Text($"{EventHeader} and {DeliveryHeader} headers are required\n", statusCode: StatusCodes.Status400BadRequest);
        }

        if (!WebhookBody.TryReadPayload(request.ContentType, body, out var payload, out var summary))
        {
            return Results.Text("the body is not a JSON webhook payload\n", statusCode: StatusCodes.Status400BadRequest);
        }

        if (eventName == "ping")
        {
            logger.LogInformation("GitHub ping {Delivery}: the webhook reaches Runner", delivery);
            return Results.Text("pong\n");
        }

        return await EnqueueAsync(eventName!, delivery!, payload, summary);
    }

    public async Task<IResult> HealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(HealthTimeout, cancellationToken);
            return Results.Text($"ok: redis answered in {latency.TotalMilliseconds:F1} ms\n");
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return Results.Text("redis unavailable\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private async Task<IResult> EnqueueAsync(string eventName, string delivery, string payload, PayloadSummary summary)
    {
        var started = timeProvider.GetTimestamp();
        try
        {
            // A redelivery (same delivery id) is queued again on purpose: the worker's idempotency key skips it
            // if the first run completed, and runs it if that run never did.
            var id = await producer.EnqueueAsync(eventName, delivery, payload).WaitAsync(EnqueueTimeout);
            logger.LogInformation("Queued {Event}.{Action} delivery {Delivery} for {Repository} as {StreamId} in {ElapsedMs:F1} ms",
                eventName, summary.Action ?? "-", delivery, summary.Repository ?? "-", id, timeProvider.GetElapsedTime(started).TotalMilliseconds);
            return Results.Json(new WebhookAccepted(id, delivery), statusCode: StatusCodes.Status202Accepted);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // 503 makes GitHub record the delivery as failed, so it can be redelivered from the App's settings. A
            // timed-out XADD may still land later; the redelivery is then skipped by the worker's idempotency.
            logger.LogWarning("Could not queue {Event} delivery {Delivery}: Redis unavailable ({Error})",
                eventName, delivery, exception.GetType().Name);
            return Results.Text("queue unavailable, redeliver later\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static bool IsHeaderValue(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= MaxHeaderLength && !value.Any(char.IsControl);
}

/// <summary>The 202 body: GitHub shows it on the delivery's page, which helps match it to the worker's log.</summary>
internal sealed record WebhookAccepted(string StreamId, string Delivery);
