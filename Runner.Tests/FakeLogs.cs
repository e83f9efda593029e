using Microsoft.Extensions.Logging.Testing;

namespace Runner.Tests;

/// <summary>Views of <see cref="FakeLogCollector"/> records the tests assert on.</summary>
internal static class FakeLogs
{
    /// <summary>One line per event: level, category, message, every structured value and the exception's full text.</summary>
    public static IReadOnlyList<string> Lines(this FakeLogCollector logs) =>
    [
        .. logs.GetSnapshot().Select(r =>
            $"{r.Level} {r.Category}: {r.Message} [{string.Join(" ", (r.StructuredState ?? []).Select(p => $"{p.Key}={p.Value}"))}] {r.Exception}"),
    ];

    /// <summary>The event's structured values, as the collector renders them (invariant strings).</summary>
    public static IReadOnlyDictionary<string, string?> Properties(this FakeLogRecord record) =>
        (record.StructuredState ?? []).ToDictionary(p => p.Key, p => p.Value);

    /// <summary>The LLM client's one event per HTTP attempt.</summary>
    public static IEnumerable<FakeLogRecord> Attempts(this FakeLogCollector logs) =>
        logs.GetSnapshot().Where(r => r.Message.StartsWith("LLM attempt", StringComparison.Ordinal));
}
