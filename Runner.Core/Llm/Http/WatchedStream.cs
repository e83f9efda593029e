using Runner.Core.IO;

namespace Runner.Core.Llm.Http;

/// <summary>A read-only response stream that tells the watchdog about every chunk that arrives.</summary>
internal sealed class WatchedStream(Stream inner, SilenceWatchdog watchdog) : ReadThroughStream(inner)
{
    public int Reads { get; private set; }

    protected override int Observe(int read)
    {
        if (read > 0)
        {
            Reads++;
            watchdog.Kick();
        }

        return read;
    }
}
