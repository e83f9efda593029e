using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Runner.Core.Queue;
using Runner.Core.Timing;

namespace Runner.Tests.Timing;

public sealed class BackoffTests
{
    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(4, 8)]
    [TestCase(5, 10)]
    [TestCase(40, 10)]
    public void The_ceiling_doubles_from_the_first_delay_up_to_the_cap(int attempt, int seconds)
    {
        Assert.That(Backoff.Ceiling(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)), Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [TestCase(0.5, 0.0, 5_000)]
    [TestCase(0.5, 1.0, 10_000)]
    [TestCase(0.25, 0.0, 7_500)]
    [TestCase(0.25, 0.5, 8_750)]
    [TestCase(0.5, 7.0, 10_000)]
    public void Jitter_keeps_the_fixed_share_and_spreads_the_rest(double spread, double sample, int milliseconds)
    {
        Assert.That(Backoff.Jitter(TimeSpan.FromSeconds(10), spread, sample), Is.EqualTo(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Test]
    public void Queue_options_registered_twice_are_validated_once()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RUNNER_CLAIM_IDLE"] = "soon",
        }).Build();
        using var services = new ServiceCollection().AddQueueOptions(configuration).AddQueueOptions(configuration).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => _ = services.GetRequiredService<IOptions<QueueOptions>>().Value);

        Assert.That(failure!.Failures, Is.EqualTo(new[] { "RUNNER_CLAIM_IDLE must be a duration such as 30, 30s, 500ms, 2m or 00:00:30" }));
    }
}
