using Microsoft.Extensions.Logging;

namespace Runner.Core.Queue;

/// <summary>
/// A job's lines, source-generated: no params array, no boxing of the numbers and no formatting at all when the level
/// is off. <see cref="Started"/> is written once the handler waits for something (<c>JobExecutor</c>); the finish
/// line carries every field of it, so a job that ends without waiting writes only that one.
/// </summary>
internal static partial class JobLog
{
    // The event parameter is called Event, not @event: with a level parameter the generator names the property after
    // the escaped identifier, and Serilog, which fills placeholders by name, then printed "{Event}" (JobLogRenderingTests).
    [LoggerMessage(Level = LogLevel.Information,
        Message = "Job {StreamId} {Event} {Delivery} for {Repository} attempt {Attempt} started")]
    public static partial void Started(ILogger logger, string streamId, string Event, string delivery, string repository, int attempt);

    [LoggerMessage(Message = "Job {StreamId} {Event} {Delivery} for {Repository} attempt {Attempt} {Outcome} in {DurationMs:0} ms")]
    public static partial void Finished(ILogger logger, LogLevel level, string streamId, string Event, string delivery, string repository,
        int attempt, string outcome, double durationMs);

    [LoggerMessage(Message = "Job {StreamId} {Event} {Delivery} for {Repository} attempt {Attempt} {Outcome} in {DurationMs:0} ms: {Error}")]
    public static partial void Failed(ILogger logger, LogLevel level, string streamId, string Event, string delivery, string repository,
        int attempt, string outcome, double durationMs, string error);
}
