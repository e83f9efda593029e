using System.Globalization;

namespace Runner.Bench;

/// <summary>Micro benches that compare two ways of doing one thing on this noisy, shared machine.</summary>
internal static class Interleaved
{
    /// <summary>
    /// Warms every contender up (a tenth of <paramref name="count"/>), then measures them in turn, round after round, so
    /// drift of the machine hits them alike, and prints each one's median round as a table row.
    /// </summary>
    public static void Compare(string what, string unit, int rounds, int count,
        IReadOnlyList<(string Name, Func<int, (double Ns, double Bytes)> Measure)> contenders)
    {
        foreach (var (_, measure) in contenders)
        {
            measure(count / 10);
        }

        var results = contenders.Select(_ => new List<(double Ns, double Bytes)>()).ToList();
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < contenders.Count; i++)
            {
                results[i].Add(contenders[i].Measure(count));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| {what} | ns/{unit} | bytes allocated/{unit} |");
        Console.WriteLine("| --- | ---: | ---: |");
        for (var i = 0; i < contenders.Count; i++)
        {
            var median = results[i].OrderBy(r => r.Ns).ElementAt(rounds / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {contenders[i].Name} | {median.Ns:0} | {median.Bytes:0.0} |"));
        }
    }
}
