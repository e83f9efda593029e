using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Runner.Core.Llm;

/// <summary>
/// The LLM endpoint, model and the client's reliability settings. Names of the <c>OLLAMA_*</c> variables are
/// fixed by the user; durations are bound with <c>DurationSetting.BindDurations</c> in <c>AddRunnerLlm</c>.
/// </summary>
public sealed class LlmOptions
{
    public const string ApiKeyVariable = "OLLAMA_API_KEY";
    public const string ApiUrlVariable = "OLLAMA_API_URL";
    public const string ModelVariable = "OLLAMA_MODEL";
    public const string ApiFormatVariable = "OLLAMA_API_FORMAT";
    public const string TimeoutVariable = "LLM_TIMEOUT";
    public const string MaxDurationVariable = "LLM_MAX_DURATION";
    public const string MinIntervalVariable = "LLM_MIN_INTERVAL";

    public const string DefaultApiUrl = "https://ollama.com/api";
    public const string DefaultModel = "glm-4.6";
    public const string TemperatureVariable = "LLM_TEMPERATURE";
    public const string MaxAttemptsVariable = "LLM_MAX_ATTEMPTS";
    public const string RateVariable = "LLM_RATE";
    public const string BurstVariable = "LLM_BURST";
    public const double DefaultTemperature = 0.1;
    public const int DefaultMaxAttempts = 5;
    public const string DefaultRedisKeyPrefix = "runner:llm:";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultMinInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Sent as <c>Authorization: Bearer</c>; never logged, never part of an error message.</summary>
    [ConfigurationKeyName(ApiKeyVariable)]
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>API base: ends in <c>/api</c> (Ollama native) or <c>/v1</c> (OpenAI-compatible).</summary>
    [ConfigurationKeyName(ApiUrlVariable)]
    public string ApiUrl { get; set; } = DefaultApiUrl;

    [ConfigurationKeyName(ModelVariable)]
    public string Model { get; set; } = DefaultModel;

    /// <summary><c>native</c> or <c>openai</c>; empty means "guess from the URL".</summary>
    [ConfigurationKeyName(ApiFormatVariable)]
    public string? ApiFormat { get; set; }

    [ConfigurationKeyName(TemperatureVariable)]
    public double Temperature { get; set; } = DefaultTemperature;

    [ConfigurationKeyName(MaxAttemptsVariable)]
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>Requests per minute allowed by the token bucket shared by all replicas; 0 turns the bucket off.</summary>
    [ConfigurationKeyName(RateVariable)]
    public double RatePerMinute { get; set; }

    /// <summary>Bucket size: how many requests may go at once after a quiet period; 0 means 1.</summary>
    [ConfigurationKeyName(BurstVariable)]
    public int Burst { get; set; }

    /// <summary><c>LLM_TIMEOUT</c>: the longest silence tolerated (time to first byte, and between chunks).</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary><c>LLM_MAX_DURATION</c>: the longest one chat call may take, retries and waits included.</summary>
    public TimeSpan MaxDuration { get; set; } = DefaultMaxDuration;

    /// <summary><c>LLM_MIN_INTERVAL</c>: minimum spacing between two requests of this process (plus jitter).</summary>
    public TimeSpan MinInterval { get; set; } = DefaultMinInterval;

    /// <summary>Prefix of the Redis keys the replicas share (token bucket, fleet pause). Not an environment variable.</summary>
    public string RedisKeyPrefix { get; set; } = DefaultRedisKeyPrefix;

    public int EffectiveBurst => Math.Max(1, Burst);
}

/// <summary>Checks the LLM settings at start. Messages start with the variable name and never contain the key or URL.</summary>
internal sealed class LlmOptionsValidator : IValidateOptions<LlmOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            failures.Add($"{LlmOptions.ApiKeyVariable} is required (the Ollama API key; for a local ollama serve any non-empty value works)");
        }

        if (!LlmEndpoint.TryCreate(options.ApiUrl, options.ApiFormat, out _, out var endpointError))
        {
            failures.Add(endpointError);
        }

        if (string.IsNullOrWhiteSpace(options.Model))
        {
            failures.Add($"{LlmOptions.ModelVariable} must name a model, e.g. {LlmOptions.DefaultModel}");
        }

        if (double.IsNaN(options.Temperature) || options.Temperature is < 0 or > 2)
        {
            failures.Add($"{LlmOptions.TemperatureVariable} must be between 0 and 2");
        }

        if (options.MaxAttempts is < 1 or > 10)
        {
            failures.Add($"{LlmOptions.MaxAttemptsVariable} must be between 1 and 10");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"{LlmOptions.TimeoutVariable} must be greater than 0");
        }

        if (options.MaxDuration < options.Timeout)
        {
            failures.Add($"{LlmOptions.MaxDurationVariable} must be at least {LlmOptions.TimeoutVariable}");
        }

        if (options.MinInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{LlmOptions.MinIntervalVariable} must be at most 1 minute");
        }

        if (double.IsNaN(options.RatePerMinute) || options.RatePerMinute < 0)
        {
            failures.Add($"{LlmOptions.RateVariable} must be 0 (off) or a positive number of requests per minute");
        }

        if (options.Burst < 0)
        {
            failures.Add($"{LlmOptions.BurstVariable} must be 0 or more");
        }

        return failures.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(failures);
    }
}
