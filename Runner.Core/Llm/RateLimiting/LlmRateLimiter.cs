using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Llm.Retries;
using StackExchange.Redis;

namespace Runner.Core.Llm.RateLimiting;

/// <summary>
/// Decides when the next LLM request of this process may go: after the fleet pause (a 429's Retry-After that
/// every replica honours), after a token from the bucket shared by all replicas (<c>LLM_RATE</c> per minute,
/// <c>LLM_BURST</c>), and after the minimum spacing with jitter of this process.
/// </summary>
internal sealed class LlmRateLimiter
{
    private readonly LlmOptions options;
    private readonly TimeProvider time;
    private readonly LlmPauses pauses;
    private readonly SharedRedis redis;
    private readonly ILogger<LlmRateLimiter> logger;
    private readonly RequestSpacing spacing;
    private readonly LocalTokenBucket? localBucket;
    private readonly double tokensPerMillisecond;
    private readonly RedisKey bucketKey;
    private readonly RedisKey pauseKey;
    private readonly Random random;
    private long localPauseUntil;

    public LlmRateLimiter(
        IOptions<LlmOptions> options, TimeProvider time, Random random, LlmPauses pauses, IConnectionMultiplexer? redis,
        ILogger<LlmRateLimiter> logger)
    {
        this.random = random;
        this.options = options.Value;
        this.time = time;
        this.pauses = pauses;
        this.logger = logger;
        this.redis = new SharedRedis(redis, logger);
        spacing = new RequestSpacing(this.options.MinInterval, random.NextDouble);
        bucketKey = this.options.RedisKeyPrefix + "bucket";
        pauseKey = this.options.RedisKeyPrefix + "pause-until";
        if (this.options.RatePerMinute > 0)
        {
            tokensPerMillisecond = this.options.RatePerMinute / 60_000d;
            localBucket = new LocalTokenBucket(tokensPerMillisecond, this.options.EffectiveBurst);
        }
    }

    /// <summary>Waits until this process may send its next request.</summary>
    /// <exception cref="LlmTransientException">The fleet pause lasts longer than the client waits in place.</exception>
    public async Task WaitForTurnAsync(CancellationToken cancellationToken)
    {
        await WaitOutFleetPauseAsync(cancellationToken);
        if (localBucket is not null)
        {
            await TakeTokenAsync(localBucket, cancellationToken);
        }

        await pauses.WaitAsync(LlmPauseKind.Spacing, spacing.Reserve(time.GetUtcNow()), cancellationToken);
    }

    /// <summary>Makes every replica hold new LLM calls until <paramref name="retryAfter"/> from now.</summary>
    public async Task PauseFleetAsync(TimeSpan retryAfter)
    {
        var now = NowMilliseconds();
        var until = now + (long)Math.Ceiling(retryAfter.TotalMilliseconds);
        var current = Interlocked.Read(ref localPauseUntil);
        while (current < until)
        {
            var seen = Interlocked.CompareExchange(ref localPauseUntil, until, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        await redis.TryEvaluateAsync(RedisScripts.ExtendPause, pauseKey,
            until.ToString(CultureInfo.InvariantCulture), Math.Max(1, until - now).ToString(CultureInfo.InvariantCulture));
    }

    private async Task WaitOutFleetPauseAsync(CancellationToken cancellationToken)
    {
        var shared = await redis.TryEvaluateAsync(RedisScripts.ReadPause, pauseKey) ?? 0;
        var until = Math.Max(shared, Interlocked.Read(ref localPauseUntil));
        var remaining = TimeSpan.FromMilliseconds(until - NowMilliseconds());
        if (remaining <= TimeSpan.Zero)
        {
            return;
        }

        var seconds = (int)Math.Ceiling(remaining.TotalSeconds);
        if (remaining > RetryPolicy.MaxRetryAfter)
        {
            logger.LogWarning("LLM calls are paused for {PauseSeconds} s after a 429: the call goes back to the queue", seconds);
            throw new LlmTransientException(LlmFailureKind.RateLimited,
                $"LLM API rate limited for {seconds} s: the replicas pause LLM calls until the Retry-After of a 429 has passed",
                attempts: 0, retryAfter: remaining);
        }

        logger.LogInformation("LLM calls are paused for {PauseSeconds} s after a 429: waiting", seconds);
        await pauses.WaitAsync(LlmPauseKind.FleetPause, remaining, cancellationToken);
    }

    private async Task TakeTokenAsync(LocalTokenBucket local, CancellationToken cancellationToken)
    {
        var burst = options.EffectiveBurst.ToString(CultureInfo.InvariantCulture);
        var rate = tokensPerMillisecond.ToString("R", CultureInfo.InvariantCulture);
        while (true)
        {
            var now = NowMilliseconds();
            var wait = await redis.TryEvaluateAsync(RedisScripts.TakeToken, bucketKey, now.ToString(CultureInfo.InvariantCulture), rate, burst)
                ?? local.TryTake(now);
            if (wait <= 0)
            {
                return;
            }

            // A little jitter so replicas that wait for the same token do not all ask at the same millisecond.
            var jitter = random.NextDouble() * Math.Min(wait / 10d, 100);
            await pauses.WaitAsync(LlmPauseKind.TokenBucket, TimeSpan.FromMilliseconds(wait + jitter), cancellationToken);
        }
    }

    private long NowMilliseconds() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
