using System.Diagnostics.Metrics;

namespace Runner.Core.Diagnostics;

/// <summary>
/// Runner's instruments on the <c>Runner</c> meter: readable with <c>dotnet-counters monitor -p PID --counters Runner</c>
/// and exportable with OpenTelemetry. One singleton per process.
/// </summary>
public sealed class RunnerMetrics : IDisposable
{
    public const string MeterName = "Runner";

    private readonly Meter meter;

    public RunnerMetrics(IMeterFactory? meterFactory = null)
    {
        meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        JobsProcessed = meter.CreateCounter<long>("runner.jobs.processed", description: "Jobs that finished successfully");
        JobsFailed = meter.CreateCounter<long>("runner.jobs.failed", description: "Job attempts that failed and were scheduled for retry");
        JobsDead = meter.CreateCounter<long>("runner.jobs.dead", description: "Jobs moved to the dead-letter stream");
        JobDuration = meter.CreateHistogram<double>("runner.job.duration", unit: "s", description: "Handler run time per job");
        QueueLag = meter.CreateHistogram<double>("runner.queue.lag", unit: "s", description: "Time from enqueue to pick-up");
        LlmAttempts = meter.CreateCounter<long>("runner.llm.attempts", description: "LLM HTTP attempts");
        LlmRetries = meter.CreateCounter<long>("runner.llm.retries", description: "LLM attempts that were retried");
        LlmRateLimited = meter.CreateCounter<long>("runner.llm.rate_limited", description: "LLM 429 answers");
        LlmTokens = meter.CreateCounter<long>("runner.llm.tokens", unit: "{token}", description: "Prompt and completion tokens");
        GitHubRateLimitRemaining = meter.CreateGauge<long>("runner.github.ratelimit.remaining", description: "Last x-ratelimit-remaining GitHub reported");
    }

    public Counter<long> JobsProcessed { get; }

    public Counter<long> JobsFailed { get; }

    public Counter<long> JobsDead { get; }

    public Histogram<double> JobDuration { get; }

    public Histogram<double> QueueLag { get; }

    public Counter<long> LlmAttempts { get; }

    public Counter<long> LlmRetries { get; }

    public Counter<long> LlmRateLimited { get; }

    public Counter<long> LlmTokens { get; }

    public Gauge<long> GitHubRateLimitRemaining { get; }

    public void Dispose() => meter.Dispose();
}
