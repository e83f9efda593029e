namespace Runner.Core.Llm.Http;

/// <summary>
/// Cancels its token when nothing arrived for <c>LLM_TIMEOUT</c>: armed before the request is sent (time to
/// first byte) and re-armed by <see cref="Kick"/> on every byte that arrives (time between chunks). A slow but
/// steady stream therefore never times out; a silent one does.
/// </summary>
internal sealed class SilenceWatchdog : IDisposable
{
    private readonly CancellationTokenSource source;
    private readonly ITimer timer;
    private readonly TimeSpan timeout;
    private int fired;

    public SilenceWatchdog(TimeProvider time, TimeSpan timeout, CancellationToken outer)
    {
        this.timeout = timeout;
        source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        timer = time.CreateTimer(static state => ((SilenceWatchdog)state!).Fire(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    public CancellationToken Token => source.Token;

    /// <summary>True when the token was cancelled by silence rather than by the caller.</summary>
    public bool TimedOut => Volatile.Read(ref fired) == 1;

    public void Kick()
    {
        if (!TimedOut)
        {
            timer.Change(timeout, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        timer.Dispose();
        source.Dispose();
    }

    private void Fire()
    {
        Volatile.Write(ref fired, 1);
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt finished while the timer fired.
        }
    }
}
