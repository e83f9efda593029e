using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Runner.Core.Agent.Fix;

/// <summary>Budgets of one fix run's change set, bound by <c>AddRunnerAgent</c> and validated at start.</summary>
public sealed class FixOptions
{
    public const string MaxFilesVariable = "RUNNER_FIX_MAX_FILES";
    public const string MaxKilobytesVariable = "RUNNER_FIX_MAX_KB";

    /// <summary>Files a fix may change (written or deleted).</summary>
    [ConfigurationKeyName(MaxFilesVariable)]
    public int MaxFiles { get; set; } = 20;

    /// <summary>Bytes of new file content a fix may write, in KiB (1 MB by default).</summary>
    [ConfigurationKeyName(MaxKilobytesVariable)]
    public int MaxKilobytes { get; set; } = 1024;

    public long MaxBytes => MaxKilobytes * 1024L;
}

internal sealed class FixOptionsValidator : IValidateOptions<FixOptions>
{
    public ValidateOptionsResult Validate(string? name, FixOptions options)
    {
        var failures = new List<string>();
        if (options.MaxFiles is < 1 or > 1000)
        {
            failures.Add($"{FixOptions.MaxFilesVariable} must be between 1 and 1000 (got {options.MaxFiles})");
        }

        if (options.MaxKilobytes is < 1 or > 100 * 1024)
        {
            failures.Add($"{FixOptions.MaxKilobytesVariable} must be between 1 and 102400 (got {options.MaxKilobytes})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
