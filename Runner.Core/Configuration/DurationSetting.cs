using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Runner.Core.Configuration;

/// <summary>
/// Reads a duration variable the way operators write them: <c>30</c> (seconds), <c>30s</c>, <c>500ms</c>,
/// <c>2m</c>, <c>1h</c> or <c>00:00:30</c>. The binder's own TimeSpan parsing would read <c>30</c> as 30 days.
/// </summary>
public static class DurationSetting
{
    /// <summary>
    /// Binds duration variables onto <typeparamref name="TOptions"/>. A value that does not parse leaves the default
    /// in place and is reported by a validator, so it fails start-up like every other bad value: one line, at
    /// <c>ValidateOnStart</c>, never an exception thrown while the options are being built.
    /// </summary>
    public static OptionsBuilder<TOptions> BindDurations<TOptions>(
        this OptionsBuilder<TOptions> builder,
        IConfiguration configuration,
        params (string Variable, Action<TOptions, TimeSpan> Set)[] durations)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Configure(options =>
        {
            foreach (var (variable, set) in durations)
            {
                if (TryRead(configuration, variable, out var value))
                {
                    set(options, value);
                }
            }
        });
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(
            new DurationValidator<TOptions>(builder.Name, configuration, [.. durations.Select(d => d.Variable)]));
        return builder;
    }

    /// <summary>True when <paramref name="variable"/> is set to a valid, non-negative duration.</summary>
    public static bool TryRead(IConfiguration configuration, string variable, out TimeSpan value)
    {
        var raw = configuration[variable];
        value = TimeSpan.Zero;
        return !string.IsNullOrWhiteSpace(raw) && TryParse(raw, out value) && value >= TimeSpan.Zero;
    }

    public static string FormatError(string variable) =>
        $"{variable} must be a duration such as 30, 30s, 500ms, 2m or 00:00:30";

    public static bool TryParse(string text, out TimeSpan value)
    {
        text = text.Trim();
        value = TimeSpan.Zero;
        (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                value = TimeSpan.FromSeconds(number * scale);
                return true;
            }
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        return text.Contains(':', StringComparison.Ordinal)
            && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }

    private sealed class DurationValidator<TOptions>(string? optionsName, IConfiguration configuration, string[] variables)
        : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            if (optionsName is not null && name != optionsName)
            {
                return ValidateOptionsResult.Skip;
            }

            var failures = variables
                .Where(variable => !string.IsNullOrWhiteSpace(configuration[variable]) && !TryRead(configuration, variable, out _))
                .Select(FormatError)
                .ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
