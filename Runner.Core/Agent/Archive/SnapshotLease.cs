namespace Runner.Core.Agent.Archive;

/// <summary>A run's hold on a cached snapshot: while held, eviction leaves the snapshot on disk.</summary>
internal sealed class SnapshotLease : IDisposable
{
    private readonly Action release;
    private int released;

    public SnapshotLease(RepositorySnapshot? snapshot, string? unavailableReason, Action release)
    {
        Snapshot = snapshot;
        UnavailableReason = unavailableReason;
        this.release = release;
    }

    /// <summary>The files, or null when the repository could not be read (see <see cref="UnavailableReason"/>).</summary>
    public RepositorySnapshot? Snapshot { get; }

    public string? UnavailableReason { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0)
        {
            release();
        }
    }
}
