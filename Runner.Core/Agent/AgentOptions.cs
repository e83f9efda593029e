using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Runner.Core.Agent;

/// <summary>Budgets and the on-disk repository cache of the issue agent.</summary>
public sealed class AgentOptions
{
    public const string MaxStepsVariable = "AGENT_MAX_STEPS";
    public const string MaxTokensVariable = "AGENT_MAX_TOKENS";
    public const string CacheDirectoryVariable = "RUNNER_CACHE_DIR";
    public const string ArchiveMaxMegabytesVariable = "RUNNER_ARCHIVE_MAX_MB";
    public const string CacheMaxMegabytesVariable = "RUNNER_CACHE_MAX_MB";
    public const string LockTtlVariable = "AGENT_LOCK_TTL";

    public const int DefaultMaxSteps = 8;
    public const int DefaultMaxTokens = 60_000;
    public const int DefaultArchiveMaxMegabytes = 100;
    public const int DefaultCacheMaxMegabytes = 1024;
    public static readonly TimeSpan DefaultLockTtl = TimeSpan.FromSeconds(60);

    /// <summary>A folder under the temporary directory.</summary>
    public static string DefaultCacheDirectory => Path.Combine(Path.GetTempPath(), "runner-cache");

    /// <summary>Model calls per run, the last one of which is made without tools so the model has to answer.</summary>
    [ConfigurationKeyName(MaxStepsVariable)]
    public int MaxSteps { get; set; } = DefaultMaxSteps;

    /// <summary>Prompt plus completion tokens per run, summed over all model calls.</summary>
    [ConfigurationKeyName(MaxTokensVariable)]
    public int MaxTokens { get; set; } = DefaultMaxTokens;

    [ConfigurationKeyName(CacheDirectoryVariable)]
    public string CacheDirectory { get; set; } = DefaultCacheDirectory;

    /// <summary>Cap on one repository tarball: the download and the text files kept from it.</summary>
    [ConfigurationKeyName(ArchiveMaxMegabytesVariable)]
    public int ArchiveMaxMegabytes { get; set; } = DefaultArchiveMaxMegabytes;

    /// <summary>Cap on the whole cache directory; least recently used snapshots are evicted first.</summary>
    [ConfigurationKeyName(CacheMaxMegabytesVariable)]
    public int CacheMaxMegabytes { get; set; } = DefaultCacheMaxMegabytes;

    /// <summary><c>AGENT_LOCK_TTL</c>: expiry of the per-issue lock; a live run extends it every third of it.</summary>
    public TimeSpan LockTtl { get; set; } = DefaultLockTtl;

    public long ArchiveMaxBytes => ArchiveMaxMegabytes * 1024L * 1024L;

    public long CacheMaxBytes => CacheMaxMegabytes * 1024L * 1024L;
}

internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var failures = new List<string>();
        if (options.MaxSteps is < 1 or > 50)
        {
            failures.Add($"{AgentOptions.MaxStepsVariable} must be between 1 and 50");
        }

        if (options.MaxTokens is < 2_000 or > 10_000_000)
        {
            failures.Add($"{AgentOptions.MaxTokensVariable} must be between 2000 and 10000000");
        }

        if (string.IsNullOrWhiteSpace(options.CacheDirectory))
        {
            failures.Add($"{AgentOptions.CacheDirectoryVariable} must name a directory");
        }

        if (options.ArchiveMaxMegabytes is < 1 or > 10_240)
        {
            failures.Add($"{AgentOptions.ArchiveMaxMegabytesVariable} must be between 1 and 10240");
        }

        if (options.CacheMaxMegabytes < options.ArchiveMaxMegabytes)
        {
            failures.Add($"{AgentOptions.CacheMaxMegabytesVariable} must be at least {AgentOptions.ArchiveMaxMegabytesVariable}");
        }

        if (options.LockTtl < TimeSpan.FromSeconds(5) || options.LockTtl > TimeSpan.FromHours(1))
        {
            failures.Add($"{AgentOptions.LockTtlVariable} must be between 5s and 1h");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
