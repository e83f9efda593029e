using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Runner.Core.Diagnostics;

namespace Runner.Tests.Llm;

public sealed class LlmMetricsTests
{
    [Test]
    public async Task Attempts_retries_429s_and_tokens_are_counted()
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Then(Replies.Error(429, "slow down"), Replies.Error(502, "bad gateway"), Replies.Text("ok", promptTokens: 40, completionTokens: 9));
        await using var harness = LlmHarness.Create(server.NativeUrl);
        var metrics = harness.Services.GetRequiredService<RunnerMetrics>();
        var totals = new Dictionary<string, long>();
        var outcomes = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, metrics.LlmAttempts) || ReferenceEquals(instrument, metrics.LlmRetries)
                || ReferenceEquals(instrument, metrics.LlmRateLimited) || ReferenceEquals(instrument, metrics.LlmTokens))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            totals[instrument.Name] = totals.GetValueOrDefault(instrument.Name) + value;
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    outcomes.Add((string)tag.Value!);
                }
            }
        });
        listener.Start();

        await harness.AskAsync();

        Assert.Multiple(() =>
        {
            Assert.That(totals["runner.llm.attempts"], Is.EqualTo(3));
            Assert.That(totals["runner.llm.retries"], Is.EqualTo(2));
            Assert.That(totals["runner.llm.rate_limited"], Is.EqualTo(1));
            Assert.That(totals["runner.llm.tokens"], Is.EqualTo(49));
            Assert.That(outcomes, Is.EqualTo(new[] { "429", "502", "ok" }));
        });
    }
}
