using Microsoft.Extensions.Time.Testing;

namespace Runner.Tests.Llm;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports every timer it arms (created or changed), after arming it. The
/// chunk-gap tests use it to know the client has taken in a chunk (its silence watchdog re-armed) before they
/// move the clock.
/// </summary>
public sealed class ObservedTimeProvider(FakeTimeProvider inner) : TimeProvider
{
    public event Action<TimeSpan>? TimerArmed;

    public FakeTimeProvider Fake => inner;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = inner.CreateTimer(callback, state, dueTime, period);
        TimerArmed?.Invoke(dueTime);
        return new ObservedTimer(timer, this);
    }

    private sealed class ObservedTimer(ITimer timer, ObservedTimeProvider owner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = timer.Change(dueTime, period);
            owner.TimerArmed?.Invoke(dueTime);
            return changed;
        }

        public void Dispose() => timer.Dispose();

        public ValueTask DisposeAsync() => timer.DisposeAsync();
    }
}
