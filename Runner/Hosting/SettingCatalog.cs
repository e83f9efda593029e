using System.Globalization;
using Runner.Core.Agent;
using Runner.Core.Agent.Fix;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Webhook;

namespace Runner.Hosting;

/// <summary>
/// Every environment variable operators can set: the one source for the start-up banners, the README's
/// configuration table (rendered by <see cref="MarkdownTable"/>), .env.example and docker-compose.yml (both checked
/// against it by tests). Defaults come from the options classes where they have them, so a default is written once.
/// </summary>
internal static class SettingCatalog
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private static readonly QueueOptions QueueDefaults = new();
    private static readonly LlmOptions LlmDefaults = new();
    private static readonly AgentOptions AgentDefaults = new();
    private static readonly GitHubOptions GitHubDefaults = new();
    private static readonly FixOptions FixDefaults = new();

    public static IReadOnlyList<Setting> Redis { get; } =
    [
        new(RedisUrl.Variable, new RedisOptions().Url, SettingKind.Url)
        {
            Required = "in containers",
            Meaning = "`redis://[user:pass@]host[:port][/db]`, `rediss://…` (TLS) or `host:port`; run.sh starts a local one when unset",
        },
    ];

    public static IReadOnlyList<Setting> Stream { get; } =
    [
        new("RUNNER_STREAM", QueueDefaults.Stream) { Meaning = "the job contract's stream" },
        new("RUNNER_GROUP", QueueDefaults.Group) { Meaning = "the job contract's consumer group" },
    ];

    public static IReadOnlyList<Setting> Consumer { get; } =
    [
        new("RUNNER_CONSUMER", QueueDefaults.Consumer) { DocumentedDefault = "host name-pid", Meaning = "this replica's consumer name (unique per replica)" },
        new("RUNNER_CONCURRENCY", Number(QueueDefaults.Concurrency)) { Meaning = "jobs in flight per process" },
        new("RUNNER_MAX_ATTEMPTS", Number(QueueDefaults.MaxAttempts)) { Meaning = "attempts per job before the dead-letter stream" },
        new(QueueOptions.ClaimIdleVariable, Duration(QueueDefaults.ClaimIdle)) { Meaning = "when a silent consumer's pending job is taken over" },
        new(QueueOptions.ShutdownTimeoutVariable, Duration(QueueDefaults.ShutdownTimeout)) { Meaning = "drain time after SIGTERM" },
        new(QueueOptions.ReadBlockVariable, Duration(QueueDefaults.ReadBlock)) { Meaning = "blocking-read window on an idle stream (pick-up stays immediate)" },
        new(QueueOptions.RetryBaseDelayVariable, Duration(QueueDefaults.RetryBaseDelay)) { Meaning = "job-level backoff before the second attempt (doubling, jittered)" },
        new(QueueOptions.RetryMaxDelayVariable, Duration(QueueDefaults.RetryMaxDelay)) { Meaning = "cap of the job-level backoff" },
        new(QueueOptions.DeferLimitVariable, Duration(QueueDefaults.DeferLimit))
        {
            Meaning = "how long one attempt may keep being deferred (e.g. waiting for its issue's lock; not an attempt) before it is dead-lettered",
        },
        new(QueueOptions.IdempotencyWindowVariable, Duration(QueueDefaults.IdempotencyWindow)) { Meaning = "how long a completed delivery is remembered" },
        new("RUNNER_STREAM_RETAIN", Number(QueueDefaults.StreamRetain)) { Meaning = "acknowledged entries kept as history" },
    ];

    public static IReadOnlyList<Setting> GitHub { get; } =
    [
        new(GitHubOptions.AppIdVariable, null) { Required = "yes (or `GITHUB_CLIENT_ID`)", Meaning = "the App's id; JWT issuer unless `GITHUB_CLIENT_ID` is set" },
        new(GitHubOptions.ClientIdVariable, null) { Meaning = "the App's client id, preferred JWT issuer" },
        new(GitHubOptions.PrivateKeyVariable, null, SettingKind.Secret)
        {
            Required = "yes (or `_PATH`)",
            Meaning = "PEM (real or `\\n` newlines) or base64 of it; PKCS#1 or PKCS#8",
        },
        new(GitHubOptions.PrivateKeyPathVariable, null) { Required = "alternative", Meaning = "file holding the key (Docker/Kubernetes secrets)" },
        new(GitHubOptions.ApiUrlVariable, GitHubDefaults.ApiUrl, SettingKind.Url) { Meaning = "GitHub Enterprise Server: `https://ghe.example.com` or `…/api/v3`" },
        new(GitHubOptions.WriteIntervalVariable, Duration(GitHubDefaults.WriteInterval)) { Meaning = "spacing of content-creating requests per installation and replica" },
        new(GitHubOptions.MaxWaitVariable, Duration(GitHubDefaults.MaxWait)) { Meaning = "longest rate-limit wait slept in a worker slot; longer hands the job back to the queue" },
    ];

    public static IReadOnlyList<Setting> Llm { get; } =
    [
        new(LlmOptions.ApiUrlVariable, LlmDefaults.ApiUrl, SettingKind.Url)
        {
            Meaning = "`…/api` = Ollama native (`POST {url}/chat`), `…/v1` = OpenAI-compatible (`POST {url}/chat/completions`)",
        },
        new(LlmOptions.ApiKeyVariable, null, SettingKind.Secret)
        {
            Required = "yes",
            Meaning = "LLM API key (`Authorization: Bearer`); any non-empty value for a local `ollama serve`",
        },
        new(LlmOptions.ModelVariable, LlmDefaults.Model) { Meaning = "model name; `runner llm models` lists what the server offers" },
        new(LlmOptions.ApiFormatVariable, "from the URL") { Meaning = "`native` or `openai`, for URLs ending in neither" },
        new(LlmOptions.NumCtxVariable, "unset")
        {
            Meaning = "context window in tokens, sent as `options.num_ctx` on the native API only; raise it for a local `ollama serve`, whose small default silently truncates long prompts",
        },
        new("LLM_TEMPERATURE", Number(LlmDefaults.Temperature)) { Meaning = "sampling temperature" },
        new(LlmOptions.TimeoutVariable, Duration(LlmDefaults.Timeout)) { Meaning = "longest silence: before the first byte and between streamed chunks" },
        new(LlmOptions.MaxDurationVariable, Duration(LlmDefaults.MaxDuration)) { Meaning = "cap on one chat call, retries included" },
        new("LLM_MAX_ATTEMPTS", Number(LlmDefaults.MaxAttempts)) { Meaning = "HTTP attempts per chat call" },
        new(LlmOptions.MinIntervalVariable, Duration(LlmDefaults.MinInterval)) { Meaning = "minimum spacing (+0–50 % jitter) between two requests of one process" },
        new("LLM_RATE", "off") { Meaning = "token bucket: requests per minute shared by all replicas through Redis" },
        new("LLM_BURST", "1") { Meaning = "token bucket: requests that may go back to back after a quiet period" },
        new(LlmOptions.RedisKeyPrefixVariable, LlmOptions.DefaultRedisKeyPrefix)
        {
            Meaning = "prefix of the shared LLM bucket and pause keys; may carry a Redis Cluster hash tag (`{runner}:llm:`)",
        },
    ];

    public static IReadOnlyList<Setting> Agent { get; } =
    [
        new(AgentOptions.MaxStepsVariable, Number(AgentDefaults.MaxSteps)) { Meaning = "model calls per run" },
        new(AgentOptions.MaxTokensVariable, Number(AgentDefaults.MaxTokens)) { Meaning = "tokens per run" },
        new(AgentOptions.LockTtlVariable, Duration(AgentOptions.DefaultLockTtl)) { Meaning = "per-issue lock expiry (extended while a run lives)" },
        new(AgentOptions.LockPrefixVariable, AgentOptions.DefaultLockPrefix)
        {
            Meaning = "prefix of the per-issue lock keys; may carry a Redis Cluster hash tag (`{runner}:agent:lock:`)",
        },
        new(AgentOptions.CacheDirectoryVariable, AgentDefaults.CacheDirectory) { DocumentedDefault = "<temp>/runner-cache", Meaning = "repository snapshot cache" },
        new(AgentOptions.ArchiveMaxMegabytesVariable, Number(AgentDefaults.ArchiveMaxMegabytes)) { Meaning = "cap on one repository tarball (MB)" },
        new(AgentOptions.CacheMaxMegabytesVariable, Number(AgentDefaults.CacheMaxMegabytes)) { Meaning = "cap on the whole cache (MB)" },
        new(FixOptions.MaxFilesVariable, Number(FixDefaults.MaxFiles)) { Meaning = "files one `/runner fix` may change" },
        new(FixOptions.MaxKilobytesVariable, Number(FixDefaults.MaxKilobytes)) { Meaning = "KiB one `/runner fix` may write in all" },
    ];

    public static IReadOnlyList<Setting> Operations { get; } =
    [
        new(LoggingSetup.LevelVariable, "information") { Meaning = "trace, debug, information, warning, error, critical" },
        new(LoggingSetup.FormatVariable, "text") { Meaning = "`text` or `json` (compact JSON per line)" },
        new(OtlpEndpointVariable, "off: dotnet-counters only", SettingKind.Url)
        {
            Meaning = "export metrics with OTLP; `dotnet-counters monitor -p PID --counters Runner` works without it",
        },
    ];

    /// <summary>Read by the OpenTelemetry SDK itself when <see cref="OtlpEndpointVariable"/> is set.</summary>
    public static IReadOnlyList<Setting> OpenTelemetry { get; } =
    [
        new("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") { Meaning = "`grpc` or `http/protobuf`" },
        new("OTEL_METRIC_EXPORT_INTERVAL", "60000") { Meaning = "export interval in milliseconds" },
        new("OTEL_SERVICE_NAME", MetricsExport.DefaultServiceName) { Meaning = "`service.name` of the exported metrics" },
    ];

    public static IReadOnlyList<Setting> Webhook { get; } =
    [
        new(WebhookOptions.SecretVariable, null, SettingKind.Secret)
        {
            Required = "for `runner webhook`", Scope = SettingScope.Webhook, Meaning = "verifies `X-Hub-Signature-256`",
        },
        new(WebhookOptions.UrlsVariable, WebhookOptions.DefaultUrl)
        {
            Scope = SettingScope.Webhook, Meaning = "where `runner webhook` listens, `;`-separated",
        },
        new(WebhookOptions.PortVariable, null)
        {
            Scope = SettingScope.Webhook, Meaning = "used as `http://0.0.0.0:$PORT` when `RUNNER_WEBHOOK_URLS` is unset (platforms that assign a port)",
        },
    ];

    /// <summary>Read only by docker-compose.yml; listed so .env.example and the README cover them too.</summary>
    public static IReadOnlyList<Setting> Compose { get; } =
    [
        new("RUNNER_WEBHOOK_PORT", "8080") { Scope = SettingScope.Compose, Meaning = "compose: host port of the `webhook` profile" },
        new("RUNNER_IMAGE", "runner:local") { Scope = SettingScope.Compose, Meaning = "compose: the image name compose builds and runs" },
        new("RUNNER_REVISION", null) { Scope = SettingScope.Compose, Meaning = "compose: commit shown in the banner (`$(git rev-parse --short HEAD)`)" },
        new("GITHUB_APP_PRIVATE_KEY_FILE", "./github-app.private-key.pem")
        {
            Scope = SettingScope.Compose,
            Required = "with `docker-compose.key-file.yml`",
            Meaning = "compose: host path of the `.pem` mounted as a secret",
        },
    ];

    /// <summary>What the worker's banner lists.</summary>
    public static IReadOnlyList<Setting> Worker { get; } =
        [.. Redis, .. Stream, .. Consumer, .. GitHub, .. Llm, .. Agent, .. Operations];

    /// <summary>Every variable, in the README's order.</summary>
    public static IReadOnlyList<Setting> All { get; } =
        [.. Llm, .. GitHub, .. Webhook.Take(1), .. Redis, .. Stream, .. Consumer, .. Agent, .. Operations, .. OpenTelemetry, .. Webhook.Skip(1), .. Compose];

    /// <summary>The README's configuration table.</summary>
    public static string MarkdownTable()
    {
        var lines = new List<string> { "| variable | default | required | meaning |", "| --- | --- | --- | --- |" };
        foreach (var setting in All)
        {
            var required = setting.IsRequired ? $"**{setting.Required}**" : setting.Required;
            lines.Add($"| `{setting.Variable}` | {DocumentedDefault(setting)} | {required} | {setting.Meaning} |");
        }

        return string.Join('\n', lines);
    }

    /// <summary>The default as the docs write it: code for values, plain words for descriptions.</summary>
    public static string DocumentedDefault(Setting setting)
    {
        var text = setting.DocumentedDefault ?? setting.Default;
        return text switch
        {
            null or Setting.OwnDefault => "–",
            _ when text.Contains(' ', StringComparison.Ordinal) || text == "off" => text,
            _ => $"`{text}`",
        };
    }

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The shortest of the duration forms operators write: 100ms, 30s, 60s, 2m, 24h.</summary>
    internal static string Duration(TimeSpan value) => value switch
    {
        _ when value.Ticks % TimeSpan.TicksPerSecond != 0 => Number(value.TotalMilliseconds) + "ms",
        _ when value >= TimeSpan.FromHours(1) && value.Ticks % TimeSpan.TicksPerHour == 0 => Number(value.TotalHours) + "h",
        _ when value > TimeSpan.FromMinutes(1) && value.Ticks % TimeSpan.TicksPerMinute == 0 => Number(value.TotalMinutes) + "m",
        _ => Number(value.TotalSeconds) + "s",
    };
}
