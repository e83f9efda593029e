using System.Collections.Concurrent;
using Runner.Core.Queue;

namespace Runner.Tests.Cluster;

/// <summary>
/// What happened to every delivery across all workers of a run: which worker ran it, how often, and what it was told
/// to do. The cluster tests judge the queue only by this ledger and by what Redis holds afterwards.
/// </summary>
internal sealed class JobLedger
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(string Worker, int Attempt)>> runs = new(StringComparer.Ordinal);

    /// <summary>Deliveries whose first attempt throws <see cref="TransientJobException"/>.</summary>
    public HashSet<string> FailOnce { get; } = new(StringComparer.Ordinal);

    /// <summary>Deliveries that always throw <see cref="PermanentJobException"/>.</summary>
    public HashSet<string> FailAlways { get; } = new(StringComparer.Ordinal);

    public int Runs(string delivery) => runs.TryGetValue(delivery, out var list) ? list.Count : 0;

    public IReadOnlyCollection<string> Deliveries => [.. runs.Keys];

    public IEnumerable<string> WorkersOf(string delivery) => runs.TryGetValue(delivery, out var list) ? list.Select(r => r.Worker) : [];

    public int TotalRuns => runs.Values.Sum(list => list.Count);

    public IJobHandler HandlerFor(string worker) => new Handler(this, worker);

    private sealed class Handler(JobLedger ledger, string worker) : IJobHandler
    {
        public IReadOnlyCollection<string> Events { get; } = ["issues"];

        public async Task HandleAsync(Job job, CancellationToken cancellationToken)
        {
            ledger.runs.GetOrAdd(job.Delivery, _ => new ConcurrentQueue<(string, int)>()).Enqueue((worker, job.Attempt));

            // Long enough that several jobs overlap across the two workers, short enough for hundreds of jobs in seconds.
            await Task.Delay(2, cancellationToken);
            if (ledger.FailAlways.Contains(job.Delivery))
            {
                throw new PermanentJobException("the ledger says this delivery always fails");
            }

            if (job.Attempt == 1 && ledger.FailOnce.Contains(job.Delivery))
            {
                throw new TransientJobException("the ledger says the first attempt fails");
            }
        }
    }
}
