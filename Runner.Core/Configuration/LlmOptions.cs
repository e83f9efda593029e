using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Runner.Core.Llm;
using Runner.Core.Redis;

namespace Runner.Core.Configuration;

/// <summary>
/// The LLM endpoint, model and the client's reliability settings. Names of the <c>OLLAMA_*</c> variables are
/// fixed by the user; durations are read with <see cref="DurationSetting"/> (see <see cref="ReadDurations"/>).
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
    public const string RedisKeyPrefixVariable = "LLM_REDIS_PREFIX";

    public const string DefaultApiUrl = "https://ollama.com/api";
    public const string DefaultModel = "glm-4.6";
    public const string DefaultRedisKeyPrefix = "runner:llm:";

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

    [ConfigurationKeyName("LLM_TEMPERATURE")]
    public double Temperature { get; set; } = 0.1;

    [ConfigurationKeyName("LLM_MAX_ATTEMPTS")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Requests per minute allowed by the token bucket shared by all replicas; 0 turns the bucket off.</summary>
    [ConfigurationKeyName("LLM_RATE")]
    public double RatePerMinute { get; set; }

    /// <summary>Bucket size: how many requests may go at once after a quiet period; 0 means 1.</summary>
    [ConfigurationKeyName("LLM_BURST")]
    public int Burst { get; set; }

    /// <summary><c>LLM_TIMEOUT</c>: the longest silence tolerated (time to first byte, and between chunks).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>LLM_MAX_DURATION</c>: the longest one chat call may take, retries and waits included.</summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary><c>LLM_MIN_INTERVAL</c>: minimum spacing between two requests of this process (plus jitter).</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// <c>LLM_REDIS_PREFIX</c>: prefix of the Redis keys the replicas share (<c>bucket</c>, <c>pause-until</c>). Each script
    /// touches one key, so a Redis Cluster needs no hash tag here; a tag (<c>{runner}:llm:</c>) keeps them on the stream's node.
    /// </summary>
    [ConfigurationKeyName(RedisKeyPrefixVariable)]
    public string RedisKeyPrefix { get; set; } = DefaultRedisKeyPrefix;

    public int EffectiveBurst => Math.Max(1, Burst);

    /// <summary>
    /// Reads the duration variables the way operators write them (<c>30</c>, <c>30s</c>, <c>500ms</c>): the
    /// binder would read <c>30</c> as 30 days.
    /// </summary>
    public void ReadDurations(IConfiguration configuration)
    {
        Timeout = DurationSetting.Read(configuration, TimeoutVariable, Timeout);
        MaxDuration = DurationSetting.Read(configuration, MaxDurationVariable, MaxDuration);
        MinInterval = DurationSetting.Read(configuration, MinIntervalVariable, MinInterval);
    }
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
            failures.Add("LLM_TEMPERATURE must be between 0 and 2");
        }

        if (options.MaxAttempts is < 1 or > 10)
        {
            failures.Add("LLM_MAX_ATTEMPTS must be between 1 and 10");
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
            failures.Add("LLM_RATE must be 0 (off) or a positive number of requests per minute");
        }

        if (options.Burst < 0)
        {
            failures.Add("LLM_BURST must be 0 or more");
        }

        if (RedisKeyPrefix.Validate(LlmOptions.RedisKeyPrefixVariable, options.RedisKeyPrefix) is { } prefixError)
        {
            failures.Add(prefixError);
        }

        return failures.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(failures);
    }
}
