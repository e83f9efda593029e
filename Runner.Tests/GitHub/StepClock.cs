using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Runner.Tests.GitHub;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports every timer the code under test starts, so a test can wait
/// until the code is actually waiting, check how long it wants to wait, and advance exactly that much.
/// </summary>
internal sealed class StepClock : FakeTimeProvider
{
    private readonly Channel<TimeSpan> started = Channel.CreateUnbounded<TimeSpan>();

    public StepClock() : base(new DateTimeOffset(2025, 1, 6, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            started.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>Waits (at most 10 s of real time) for the next timer to start and returns its due time.</summary>
    public async Task<TimeSpan> NextTimerAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await started.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new AssertionException("the code under test never started a timer (no wait happened)");
        }
    }

    /// <summary>Waits for the next timer, advances the clock by its due time and returns it.</summary>
    public async Task<TimeSpan> AdvanceNextTimerAsync()
    {
        var due = await NextTimerAsync();
        Advance(due);
        return due;
    }

    public bool TimerStarted => started.Reader.TryPeek(out _);
}
