using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Octokit;
using Runner.Core.Agent.Ask;
using Runner.Core.Agent.Commands;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Locking;
using Runner.Core.Agent.Loop;
using Runner.Core.Agent.RepoConfig;
using Runner.Core.Agent.Triage;
using Runner.Core.Agent.Webhooks;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Queue;

namespace Runner.Core.Agent;

/// <summary>
/// Turns an <c>issues</c> or <c>issue_comment</c> job into at most one sticky comment per task: decides
/// whether to act (bots, actions, commands, permissions), serialises runs per issue, and reports failures
/// honestly before handing them back to the queue.
/// </summary>
internal sealed class IssueAgent(
    IGitHubClientFactory clientFactory,
    IssueLock issueLock,
    RepositoryConfigLoader configLoader,
    TriageTask triage,
    AskTask ask,
    ILlmClient llm,
    IOptions<AgentOptions> options,
    TimeProvider timeProvider,
    ILogger<IssueAgent> logger)
{
    public const string TriageTaskName = "triage";
    public const string HelpTaskName = "help";
    public const string RefusalTaskName = "refusal";

    private static readonly TimeSpan MinBusyRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBusyRetry = TimeSpan.FromSeconds(30);

    public async Task HandleIssuesAsync(Job job, CancellationToken cancellationToken)
    {
        var webhook = WebhookPayloadReader.Read(job);
        if (webhook.Action is not ("opened" or "reopened") || webhook.Issue.IsPullRequest)
        {
            logger.LogDebug("Ignoring issues.{Action} on {Repository}#{Number}", webhook.Action, webhook.Repository, webhook.Issue.Number);
            return;
        }

        if (webhook.SenderIsBot)
        {
            logger.LogInformation("Ignoring issues.{Action} on {Repository}#{Number} from bot {Sender}",
                webhook.Action, webhook.Repository, webhook.Issue.Number, webhook.SenderLogin);
            return;
        }

        await RunLockedAsync(job, webhook, TriageTaskName, async (client, meter, ct) =>
        {
            var run = await PrepareAsync(job, webhook, client, meter, ct);
            if (!run.Config.Config.Triage)
            {
                logger.LogInformation("Triage of {Repository}#{Number} skipped: disabled by {ConfigSource}",
                    webhook.Repository, webhook.Issue.Number, run.Config.Source);
                return;
            }

            await ReactAsync(client, webhook);
            var outcome = await triage.RunAsync(run, ct);
            await PostAsync(run, TriageTaskName, outcome);
        }, cancellationToken);
    }

    public async Task HandleIssueCommentAsync(Job job, CancellationToken cancellationToken)
    {
        var webhook = WebhookPayloadReader.Read(job);
        var comment = webhook.Comment!;
        if (webhook.Action != "created")
        {
            logger.LogDebug("Ignoring issue_comment.{Action} on {Repository}#{Number}", webhook.Action, webhook.Repository, webhook.Issue.Number);
            return;
        }

        if (webhook.SenderIsBot || comment.AuthorIsBot || StickyComments.ContainsMarker(comment.Body))
        {
            logger.LogInformation("Ignoring comment {CommentId} on {Repository}#{Number} from bot {Sender}",
                comment.Id, webhook.Repository, webhook.Issue.Number, webhook.SenderLogin);
            return;
        }

        if (RunnerCommandParser.Parse(comment.Body) is not { } command)
        {
            logger.LogDebug("Comment {CommentId} on {Repository}#{Number} has no /runner command", comment.Id, webhook.Repository, webhook.Issue.Number);
            return;
        }

        var task = command.Kind switch
        {
            RunnerCommandKind.Triage => TriageTaskName,
            RunnerCommandKind.Ask when command.Argument.Length > 0 => $"ask-{comment.Id}",
            _ => HelpTaskName,
        };
        logger.LogInformation("Command /runner {Command} from {User} on {Repository}#{Number}",
            command.Name, comment.Author, webhook.Repository, webhook.Issue.Number);

        await RunLockedAsync(job, webhook, task, async (client, meter, ct) =>
        {
            if (!await CommandAuthorization.MayCommandAsync(client, webhook.Repository, comment.Author))
            {
                await RefuseOnceAsync(client, job, webhook, comment.Author, meter);
                return;
            }

            if (task == HelpTaskName)
            {
                await StickyComments.UpsertAsync(client, webhook.Repository, webhook.Issue.Number, HelpTaskName, job.Delivery,
                    Notices.Help(command) + CommentFooter.Render(null, 0, timeProvider.GetElapsedTime(meter.Started)));
                return;
            }

            await ReactAsync(client, webhook);
            var run = await PrepareAsync(job, webhook, client, meter, ct);
            var outcome = command.Kind == RunnerCommandKind.Triage
                ? await triage.RunAsync(run, ct)
                : await ask.RunAsync(run, command.Argument, comment.Author, ct);
            await PostAsync(run, task, outcome);
        }, cancellationToken);
    }

    private async Task RunLockedAsync(
        Job job, IssueWebhook webhook, string task, Func<IGitHubClient, RunMeter, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        var agentOptions = options.Value;
        await using var lease = await issueLock.TryAcquireAsync(webhook.Repository, webhook.Issue.Number, agentOptions.LockTtl)
            ?? throw await BusyAsync(webhook);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
        var meter = new RunMeter(timeProvider.GetTimestamp());
        var client = await clientFactory.CreateForRepositoryAsync(
            webhook.Repository, webhook.InstallationId, GitHubPermissions.IssueWriter, linked.Token);
        try
        {
            await work(client, meter, linked.Token);
            logger.LogInformation("Finished {Task} on {Repository}#{Number} in {ElapsedMs} ms ({Tokens} tokens)",
                task, webhook.Repository, webhook.Issue.Number, (long)timeProvider.GetElapsedTime(meter.Started).TotalMilliseconds, meter.Tokens);
        }
        catch (OperationCanceledException) when (lease.Lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TransientJobException($"Lost the lock on {webhook.Repository}#{webhook.Issue.Number} to another run", MaxBusyRetry);
        }
        catch (Exception exception) when (!linked.IsCancellationRequested && task is not (HelpTaskName or RefusalTaskName))
        {
            var failure = JobFailures.ToJobException(exception, task, webhook.Repository, timeProvider);
            logger.LogWarning("{Task} on {Repository}#{Number} failed (attempt {Attempt}): {Error}",
                task, webhook.Repository, webhook.Issue.Number, job.Attempt, failure.Message);
            await ReportFailureAsync(client, job, webhook, task, exception, failure is PermanentJobException, meter);
            if (ReferenceEquals(failure, exception))
            {
                throw;
            }

            throw failure;
        }
    }

    private async Task<TransientJobException> BusyAsync(IssueWebhook webhook)
    {
        var remaining = await issueLock.RemainingAsync(webhook.Repository, webhook.Issue.Number) ?? MinBusyRetry;
        var retryAfter = TimeSpan.FromTicks(Math.Clamp(remaining.Ticks, MinBusyRetry.Ticks, MaxBusyRetry.Ticks));
        logger.LogInformation("{Repository}#{Number} is busy with another run; retrying in {RetryAfterMs} ms",
            webhook.Repository, webhook.Issue.Number, (long)retryAfter.TotalMilliseconds);
        return new TransientJobException(
            $"{webhook.Repository}#{webhook.Issue.Number} is being handled by another run; this one runs after it", retryAfter);
    }

    private async Task<IssueRun> PrepareAsync(Job job, IssueWebhook webhook, IGitHubClient client, RunMeter meter, CancellationToken cancellationToken)
    {
        var repository = webhook.Repository;
        var branch = webhook.DefaultBranch
            ?? (await client.Repository.Get(repository.Owner, repository.Name)).DefaultBranch;
        var sha = (await client.Repository.Branch.Get(repository.Owner, repository.Name, branch)).Commit.Sha;
        var config = await configLoader.LoadAsync(client, repository, sha, webhook.InstallationId, cancellationToken);
        return new IssueRun(job, webhook, client, sha, config, AgentBudget.From(options.Value), meter);
    }

    private async Task PostAsync(IssueRun run, string task, TaskOutcome outcome)
    {
        var body = outcome.Body;
        if (run.Config is { Problem: { } problem, Source: { } source })
        {
            body += Notices.ConfigProblem(source, problem);
        }

        body += CommentFooter.Render(outcome.Model ?? llm.Model, outcome.Tokens, timeProvider.GetElapsedTime(run.Meter.Started));
        await StickyComments.UpsertAsync(run.Client, run.Repository, run.Issue.Number, task, run.Job.Delivery, body);
    }

    private async Task RefuseOnceAsync(IGitHubClient client, Job job, IssueWebhook webhook, string login, RunMeter meter)
    {
        if (await StickyComments.FindAsync(client, webhook.Repository, webhook.Issue.Number, RefusalTaskName) is not null)
        {
            logger.LogInformation("Ignoring command from {User} on {Repository}#{Number}: no write access, already told once",
                login, webhook.Repository, webhook.Issue.Number);
            return;
        }

        logger.LogInformation("Refusing command from {User} on {Repository}#{Number}: no write access", login, webhook.Repository, webhook.Issue.Number);
        await StickyComments.UpsertAsync(client, webhook.Repository, webhook.Issue.Number, RefusalTaskName, job.Delivery,
            Notices.Refusal(login) + CommentFooter.Render(null, 0, timeProvider.GetElapsedTime(meter.Started)));
    }

    /// <summary>👀 on what triggered the run, so the user sees it was picked up. Cosmetic: failures are logged only.</summary>
    private async Task ReactAsync(IGitHubClient client, IssueWebhook webhook)
    {
        var repository = webhook.Repository;
        try
        {
            var reaction = new NewReaction(ReactionType.Eyes);
            if (webhook.Comment is { } comment)
            {
                await client.Reaction.IssueComment.Create(repository.Owner, repository.Name, comment.Id, reaction);
            }
            else
            {
                await client.Reaction.Issue.Create(repository.Owner, repository.Name, webhook.Issue.Number, reaction);
            }
        }
        catch (Exception exception) when (GitHubErrors.IsGitHubFailure(exception))
        {
            logger.LogWarning("Could not react to {Repository}#{Number}: {Error}", repository, webhook.Issue.Number, exception.Message);
        }
    }

    private async Task ReportFailureAsync(
        IGitHubClient client, Job job, IssueWebhook webhook, string task, Exception cause, bool permanent, RunMeter meter)
    {
        var (title, rerun) = task == TriageTaskName
            ? ("Triage", "a maintainer can comment `/runner triage` to run it again")
            : ("Answer", "ask again with `/runner ask`");
        var body = Notices.Failure(title, rerun, cause, permanent, job.Attempt, job.MaxAttempts)
            + CommentFooter.Render(meter.Model ?? llm.Model, meter.Tokens, timeProvider.GetElapsedTime(meter.Started));
        try
        {
            await StickyComments.UpsertAsync(client, webhook.Repository, webhook.Issue.Number, task, job.Delivery, body);
        }
        catch (Exception reportFailure) when (reportFailure is not OperationCanceledException)
        {
            // GitHub itself may be what failed; the queue still gets the original exception.
            logger.LogWarning("Could not post the failure notice on {Repository}#{Number}: {Error}",
                webhook.Repository, webhook.Issue.Number, reportFailure.Message);
        }
    }
}
