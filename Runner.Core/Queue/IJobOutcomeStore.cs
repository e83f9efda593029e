using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>
/// The writes that record how one job ended. <see cref="QueueStore"/> makes each one atomic in Redis; the seam lets
/// <see cref="JobExecutor"/>'s decisions be tested without Redis.
/// </summary>
internal interface IJobOutcomeStore
{
    Task<BeginResult> TryBeginAsync(string delivery, string token, TimeSpan lease);

    Task CompleteAsync(string streamId, string delivery, string token, TimeSpan doneFor, DateTimeOffset now);

    Task AckAsync(string streamId);

    Task ScheduleAsync(StreamEntry entry, int attempt, DateTimeOffset due, string? delivery, string token, string statsField, DateTimeOffset now);

    Task DeadLetterAsync(StreamEntry entry, string error, int attempts, string consumer, string? delivery, string token, DateTimeOffset now);

    Task ReleaseAsync(string delivery, string token);
}
