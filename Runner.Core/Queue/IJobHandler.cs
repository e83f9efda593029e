namespace Runner.Core.Queue;

/// <summary>
/// Handles jobs of the GitHub events it names. Handlers are registered in DI and the worker dispatches
/// each job to the handler whose <see cref="Events"/> contains the job's event name.
/// </summary>
/// <remarks>
/// Throw <see cref="TransientJobException"/> for failures worth retrying (any other exception counts as
/// transient too) and <see cref="PermanentJobException"/> for failures that retrying cannot fix: those go
/// straight to the dead-letter stream.
/// </remarks>
public interface IJobHandler
{
    IReadOnlyCollection<string> Events { get; }

    Task HandleAsync(Job job, CancellationToken cancellationToken);
}
