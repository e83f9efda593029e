using System.Globalization;
using Runner.Core.Queue;
using Runner.Core.Redis;

namespace Runner.Hosting;

/// <summary>
/// The variables each mode's start-up banner lists. Defaults come from the options classes where this assembly
/// can see them, otherwise from the documented defaults of the area that owns the variable.
/// </summary>
internal static class SettingCatalog
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private static readonly QueueOptions QueueDefaults = new();

    public static IReadOnlyList<Setting> Redis { get; } =
    [
        new(RedisUrl.Variable, new RedisOptions().Url, SettingKind.Url),
    ];

    public static IReadOnlyList<Setting> Stream { get; } =
    [
        new("RUNNER_STREAM", QueueDefaults.Stream),
        new("RUNNER_GROUP", QueueDefaults.Group),
    ];

    public static IReadOnlyList<Setting> Consumer { get; } =
    [
        new("RUNNER_CONSUMER", QueueDefaults.Consumer),
        new("RUNNER_CONCURRENCY", QueueDefaults.Concurrency.ToString(CultureInfo.InvariantCulture)),
        new("RUNNER_MAX_ATTEMPTS", QueueDefaults.MaxAttempts.ToString(CultureInfo.InvariantCulture)),
        new("RUNNER_CLAIM_IDLE", Seconds(QueueDefaults.ClaimIdle)),
        new("RUNNER_SHUTDOWN_TIMEOUT", Seconds(QueueDefaults.ShutdownTimeout)),
        new("RUNNER_READ_BLOCK", "5s"),
        new("RUNNER_RETRY_BASE_DELAY", "10s"),
        new("RUNNER_RETRY_MAX_DELAY", "10m"),
        new("RUNNER_IDEMPOTENCY_TTL", "24h"),
        new("RUNNER_STREAM_RETAIN", "10000"),
    ];

    public static IReadOnlyList<Setting> GitHub { get; } =
    [
        new("GITHUB_APP_ID", null),
        new("GITHUB_CLIENT_ID", null),
        new("GITHUB_APP_PRIVATE_KEY", null, SettingKind.Secret),
        new("GITHUB_APP_PRIVATE_KEY_PATH", null),
        new("GITHUB_API_URL", "https://api.github.com", SettingKind.Url),
        new("GITHUB_WRITE_INTERVAL", "1s"),
        new("GITHUB_MAX_WAIT", "2m"),
    ];

    public static IReadOnlyList<Setting> Llm { get; } =
    [
        new("OLLAMA_API_URL", "https://ollama.com/api", SettingKind.Url),
        new("OLLAMA_API_KEY", null, SettingKind.Secret),
        new("OLLAMA_MODEL", "glm-4.6"),
        new("OLLAMA_API_FORMAT", "from the URL"),
        new("LLM_TEMPERATURE", "0.1"),
        new("LLM_TIMEOUT", "30s"),
        new("LLM_MAX_DURATION", "10m"),
        new("LLM_MAX_ATTEMPTS", "5"),
        new("LLM_MIN_INTERVAL", "100ms"),
        new("LLM_RATE", "off"),
        new("LLM_BURST", "1"),
    ];

    public static IReadOnlyList<Setting> Agent { get; } =
    [
        new("AGENT_MAX_STEPS", "8"),
        new("AGENT_MAX_TOKENS", "60000"),
        new("AGENT_LOCK_TTL", "60s"),
        new("RUNNER_CACHE_DIR", "a folder under the temp dir"),
        new("RUNNER_ARCHIVE_MAX_MB", "100"),
        new("RUNNER_CACHE_MAX_MB", "1024"),
    ];

    public static IReadOnlyList<Setting> Operations { get; } =
    [
        new(LoggingSetup.LevelVariable, "information"),
        new(LoggingSetup.FormatVariable, "text"),
        new(OtlpEndpointVariable, "off: dotnet-counters only", SettingKind.Url),
    ];

    public static IReadOnlyList<Setting> Worker { get; } =
        [.. Redis, .. Stream, .. Consumer, .. GitHub, .. Llm, .. Agent, .. Operations];

    private static string Seconds(TimeSpan value) => $"{value.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
}
