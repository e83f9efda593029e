using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Runner.Core.Configuration;

/// <summary>
/// Reads a duration variable the way operators write them: <c>30</c> (seconds), <c>30s</c>, <c>500ms</c>,
/// <c>2m</c>, <c>1h</c> or <c>00:00:30</c>. The binder's own TimeSpan parsing would read <c>30</c> as 30 days.
/// </summary>
public static class DurationSetting
{
    public static TimeSpan Read(IConfiguration configuration, string variable, TimeSpan defaultValue)
    {
        var raw = configuration[variable];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return defaultValue;
        }

        if (TryParse(raw, out var value) && value >= TimeSpan.Zero)
        {
            return value;
        }

        throw new OptionsValidationException(variable, typeof(TimeSpan),
            [$"{variable} must be a duration such as 30, 30s, 500ms, 2m or 00:00:30"]);
    }

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
}
