using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Runner.Tests.Llm;

/// <summary>
/// Lets a test hand the client one streamed chunk at a time (through <see cref="Replies.Gated"/> or
/// <see cref="Replies.CutMidStream"/>) and know when the client has taken it in: its silence watchdog re-arms.
/// Only then does the test move the fake clock, so the timing is exact and free of races.
/// </summary>
/// <remarks>
/// The gate is deliberately never disposed: a server handler may still wait on it when the test ends, and a
/// disposed semaphore never completes that wait, which would hold Kestrel's shutdown for its 30 s grace period.
/// </remarks>
internal sealed class ChunkStepper
{
    private readonly Channel<TimeSpan> rearmed = Channel.CreateUnbounded<TimeSpan>();
    private int armed;

    public ChunkStepper(TimeSpan silence)
    {
        Clock = new ObservedTimeProvider(new FakeTimeProvider());
        Clock.TimerArmed += due =>
        {
            if (due == silence)
            {
                Interlocked.Increment(ref armed);
                rearmed.Writer.TryWrite(due);
            }
        };
    }

    public ObservedTimeProvider Clock { get; }

    public FakeTimeProvider Time => Clock.Fake;

    public SemaphoreSlim Gate { get; } = new(0);

    /// <summary>Lets the server send its next chunk; true once the client took it in, false if the call ended instead.</summary>
    public async Task<bool> ReleaseAndWaitForClientAsync(Task call)
    {
        while (rearmed.Reader.TryRead(out _))
        {
        }

        Gate.Release();
        var taken = rearmed.Reader.ReadAsync().AsTask();
        var first = await Task.WhenAny(taken, call).WaitAsync(TimeSpan.FromSeconds(10));
        return first == taken;
    }

    /// <summary>
    /// Waits until the watchdog was armed <paramref name="times"/> times in all: once when the request goes out,
    /// once when the headers arrive, then once per chunk read. So 3 means "the first chunk was read".
    /// </summary>
    public async Task WaitUntilArmedAsync(int times)
    {
        while (Volatile.Read(ref armed) < times)
        {
            await rearmed.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
