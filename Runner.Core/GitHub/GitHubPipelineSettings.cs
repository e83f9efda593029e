namespace Runner.Core.GitHub;

/// <param name="ApiBase">The normalized REST base (see <see cref="GitHubApiBase"/>); credentials only go to its origin.</param>
/// <param name="WriteInterval">Gap between content-creating requests of one installation.</param>
/// <param name="MaxWait">Longer rate-limit waits are not slept: the job goes back to the queue.</param>
/// <param name="AttemptTimeout">Network timeout of one HTTP attempt (waits are not part of it).</param>
internal sealed record GitHubPipelineSettings(Uri ApiBase, TimeSpan WriteInterval, TimeSpan MaxWait, TimeSpan AttemptTimeout);
