using Microsoft.Extensions.Configuration;

namespace Runner.Core.Configuration;

/// <summary>The job stream and how this process consumes it. Stream and group names are the public job contract.</summary>
public sealed class QueueOptions
{
    public const string DefaultStream = "runner:jobs";
    public const string DefaultGroup = "runner";

    [ConfigurationKeyName("RUNNER_STREAM")]
    public string Stream { get; set; } = DefaultStream;

    [ConfigurationKeyName("RUNNER_GROUP")]
    public string Group { get; set; } = DefaultGroup;

    /// <summary>Unique per replica; defaults to host name and process id.</summary>
    [ConfigurationKeyName("RUNNER_CONSUMER")]
    public string Consumer { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    [ConfigurationKeyName("RUNNER_CONCURRENCY")]
    public int Concurrency { get; set; } = 4;

    [ConfigurationKeyName("RUNNER_MAX_ATTEMPTS")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary><c>RUNNER_CLAIM_IDLE</c>: how long a pending entry of a silent consumer waits before another takes it.</summary>
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary><c>RUNNER_SHUTDOWN_TIMEOUT</c>: how long in-flight jobs may finish after SIGTERM.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    public string DeadLetterStream => $"{Stream}:dead";
}
