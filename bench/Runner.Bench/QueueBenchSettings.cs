using System.Globalization;

namespace Runner.Bench;

/// <param name="Jobs">No-op jobs per throughput run.</param>
/// <param name="Samples">Jobs timed one at a time on an idle worker.</param>
/// <param name="IdleSeconds">How long the idle worker's Redis traffic is counted.</param>
internal sealed record QueueBenchSettings(int Jobs, int Samples, int IdleSeconds)
{
    public static QueueBenchSettings? Parse(string[] args)
    {
        var settings = new QueueBenchSettings(5_000, 200, 30);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
            {
                return null;
            }

            settings = args[i] switch
            {
                "--jobs" => settings with { Jobs = value },
                "--samples" => settings with { Samples = value },
                "--idle-seconds" => settings with { IdleSeconds = value },
                _ => null,
            };
            if (settings is null)
            {
                return null;
            }
        }

        return args.Length % 2 == 0 ? settings : null;
    }
}
