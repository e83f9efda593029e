using Microsoft.Extensions.Options;

namespace Runner.Core.Queue;

/// <summary>Checks the queue settings at start; every message starts with the variable it is about.</summary>
internal sealed class QueueOptionsValidator : IValidateOptions<QueueOptions>
{
    public ValidateOptionsResult Validate(string? name, QueueOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Stream))
        {
            failures.Add($"{QueueOptions.StreamVariable} must not be empty");
        }

        if (string.IsNullOrWhiteSpace(options.Group))
        {
            failures.Add($"{QueueOptions.GroupVariable} must not be empty");
        }

        if (string.IsNullOrWhiteSpace(options.Consumer))
        {
            failures.Add($"{QueueOptions.ConsumerVariable} must not be empty");
        }

        if (options.Concurrency is < 1 or > 1024)
        {
            failures.Add($"{QueueOptions.ConcurrencyVariable} must be between 1 and 1024");
        }

        if (options.MaxAttempts is < 1 or > 100)
        {
            failures.Add($"{QueueOptions.MaxAttemptsVariable} must be between 1 and 100");
        }

        if (options.StreamRetain < 0)
        {
            failures.Add($"{QueueOptions.StreamRetainVariable} must be 0 or more");
        }

        AtLeast(failures, QueueOptions.ClaimIdleVariable, options.ClaimIdle, TimeSpan.FromMilliseconds(100));
        AtLeast(failures, QueueOptions.ReadBlockVariable, options.ReadBlock, TimeSpan.FromMilliseconds(10));
        AtLeast(failures, QueueOptions.RetryBaseDelayVariable, options.RetryBaseDelay, TimeSpan.Zero);
        AtLeast(failures, QueueOptions.IdempotencyWindowVariable, options.IdempotencyWindow, TimeSpan.FromSeconds(1));
        AtLeast(failures, QueueOptions.ShutdownTimeoutVariable, options.ShutdownTimeout, TimeSpan.Zero);
        if (options.RetryMaxDelay < options.RetryBaseDelay)
        {
            failures.Add($"{QueueOptions.RetryMaxDelayVariable} must not be shorter than {QueueOptions.RetryBaseDelayVariable}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AtLeast(List<string> failures, string variable, TimeSpan value, TimeSpan minimum)
    {
        if (value < minimum)
        {
            failures.Add($"{variable} must be at least {minimum.TotalMilliseconds}ms");
        }
    }
}
