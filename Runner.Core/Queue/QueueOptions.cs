using Microsoft.Extensions.Configuration;

namespace Runner.Core.Queue;

/// <summary>The job stream and how this process consumes it. Stream and group names are the public job contract.</summary>
public sealed class QueueOptions
{
    public const string DefaultStream = "runner:jobs";
    public const string DefaultGroup = "runner";

    public const string StreamVariable = "RUNNER_STREAM";
    public const string GroupVariable = "RUNNER_GROUP";
    public const string ConsumerVariable = "RUNNER_CONSUMER";
    public const string ConcurrencyVariable = "RUNNER_CONCURRENCY";
    public const string MaxAttemptsVariable = "RUNNER_MAX_ATTEMPTS";
    public const string StreamRetainVariable = "RUNNER_STREAM_RETAIN";
    public const string ClaimIdleVariable = "RUNNER_CLAIM_IDLE";
    public const string ShutdownTimeoutVariable = "RUNNER_SHUTDOWN_TIMEOUT";
    public const string ReadBlockVariable = "RUNNER_READ_BLOCK";
    public const string RetryBaseDelayVariable = "RUNNER_RETRY_BASE_DELAY";
    public const string RetryMaxDelayVariable = "RUNNER_RETRY_MAX_DELAY";
    public const string IdempotencyWindowVariable = "RUNNER_IDEMPOTENCY_TTL";

    public const int DefaultConcurrency = 4;
    public const int DefaultMaxAttempts = 5;
    public const int DefaultStreamRetain = 10_000;
    public static readonly TimeSpan DefaultClaimIdle = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(25);
    public static readonly TimeSpan DefaultReadBlock = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultRetryBaseDelay = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultRetryMaxDelay = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultIdempotencyWindow = TimeSpan.FromHours(24);

    /// <summary>Unique per replica: host name and process id.</summary>
    public static string DefaultConsumer => $"{Environment.MachineName}-{Environment.ProcessId}";

    [ConfigurationKeyName(StreamVariable)]
    public string Stream { get; set; } = DefaultStream;

    [ConfigurationKeyName(GroupVariable)]
    public string Group { get; set; } = DefaultGroup;

    /// <summary>Unique per replica; defaults to host name and process id.</summary>
    [ConfigurationKeyName(ConsumerVariable)]
    public string Consumer { get; set; } = DefaultConsumer;

    [ConfigurationKeyName(ConcurrencyVariable)]
    public int Concurrency { get; set; } = DefaultConcurrency;

    [ConfigurationKeyName(MaxAttemptsVariable)]
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary><c>RUNNER_STREAM_RETAIN</c>: how many of the newest entries trimming keeps, acknowledged or not.</summary>
    [ConfigurationKeyName(StreamRetainVariable)]
    public int StreamRetain { get; set; } = DefaultStreamRetain;

    /// <summary><c>RUNNER_CLAIM_IDLE</c>: how long a pending entry of a silent consumer waits before another takes it.</summary>
    public TimeSpan ClaimIdle { get; set; } = DefaultClaimIdle;

    /// <summary><c>RUNNER_SHUTDOWN_TIMEOUT</c>: how long in-flight jobs may finish after SIGTERM.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    /// <summary><c>RUNNER_READ_BLOCK</c>: how long one blocking XREADGROUP waits for a new entry on an idle stream.</summary>
    public TimeSpan ReadBlock { get; set; } = DefaultReadBlock;

    /// <summary><c>RUNNER_RETRY_BASE_DELAY</c>: the backoff before the second attempt; it doubles for every later one.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = DefaultRetryBaseDelay;

    /// <summary><c>RUNNER_RETRY_MAX_DELAY</c>: the cap of the exponential backoff (a longer Retry-After still wins).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = DefaultRetryMaxDelay;

    /// <summary><c>RUNNER_IDEMPOTENCY_TTL</c>: how long a completed delivery is remembered and skipped if it comes again.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = DefaultIdempotencyWindow;

    /// <summary>How often acknowledged history is trimmed.</summary>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the retry schedule is checked when this process scheduled nothing sooner.</summary>
    public TimeSpan RetryPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public string DeadLetterStream => $"{Stream}:dead";

    /// <summary>A running job re-claims its entry this often, well below <see cref="ClaimIdle"/>, so no other replica takes it.</summary>
    public TimeSpan HeartbeatInterval => ClaimIdle / 3;

    /// <summary>How often pending entries of silent consumers are looked for.</summary>
    public TimeSpan ReclaimInterval => TimeSpan.FromTicks(Math.Clamp(ClaimIdle.Ticks / 2, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond * 30));
}
