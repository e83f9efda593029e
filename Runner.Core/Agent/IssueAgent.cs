using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Octokit;
using Runner.Core.Agent.Ask;
using Runner.Core.Agent.Commands;
using Runner.Core.Agent.Comments;
using Runner.Core.Agent.Fix;
using Runner.Core.Agent.Locking;
using Runner.Core.Agent.Loop;
using Runner.Core.Agent.RepoConfig;
using Runner.Core.Agent.Review;
using Runner.Core.Agent.Triage;
using Runner.Core.Agent.Webhooks;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Queue;

namespace Runner.Core.Agent;

/// <summary>
/// Turns an <c>issues</c> or <c>issue_comment</c> job into at most one sticky comment per task. The policies live
/// in their own homes: <see cref="IgnoreRules"/> (whether to act), <see cref="IssueRunLock"/> (one run per issue),
/// <see cref="CommandAuthorization"/> (who may command), <see cref="IssueClients"/> (the installation client),
/// <see cref="FailureReporter"/> (the failure comment) and <see cref="JobFailures"/> (the job outcome).
/// </summary>
internal sealed class IssueAgent(
    IGitHubClientFactory clientFactory,
    IssueRunLock runLock,
    RepositoryConfigLoader configLoader,
    TriageTask triage,
    AskTask ask,
    ReviewTask review,
    FixTask fix,
    ILlmClient llm,
    FailureReporter failureReporter,
    IOptions<AgentOptions> options,
    TimeProvider timeProvider,
    ILogger<IssueAgent> logger)
{
    public const string TriageTaskName = "triage";
    public const string HelpTaskName = "help";
    public const string ReviewTaskName = "review";
    public const string FixTaskName = "fix";

    /// <summary>The label that asks for a fix when a writer adds it to an issue.</summary>
    public const string FixLabel = "runner:fix";

    public async Task HandleIssuesAsync(Job job, CancellationToken cancellationToken)
    {
        var webhook = WebhookPayloadReader.Read(job);
        if (IgnoreRules.AsksForFix(webhook, FixLabel, logger))
        {
            await FixAsync(job, webhook, webhook.SenderLogin, string.Empty, cancellationToken);
            return;
        }

        if (!IgnoreRules.ShouldTriage(webhook, logger))
        {
            return;
        }

        await RunLockedAsync(job, webhook, TriageTaskName, GitHubPermissions.IssueWriter, async (client, meter, ct) =>
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
        if (IgnoreRules.CommandIn(webhook, logger) is not { } command)
        {
            return;
        }

        var comment = webhook.Comment!;
        if (command.Kind == RunnerCommandKind.Fix && !webhook.Issue.IsPullRequest)
        {
            logger.LogInformation("Command /runner fix from {User} on {Repository}#{Number}", comment.Author, webhook.Repository, webhook.Issue.Number);
            await FixAsync(job, webhook, comment.Author, command.Argument, cancellationToken);
            return;
        }

        if (command.Kind == RunnerCommandKind.Review && webhook.Issue.IsPullRequest)
        {
            logger.LogInformation("Command /runner review from {User} on {Repository}#{Number}", comment.Author, webhook.Repository, webhook.Issue.Number);
            await ReviewAsync(job, webhook, comment.Author, cancellationToken);
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

        await RunLockedAsync(job, webhook, task, GitHubPermissions.IssueWriter, async (client, meter, ct) =>
        {
            if (!await CommandAuthorization.MayCommandAsync(client, webhook.Repository, comment.Author))
            {
                await CommandAuthorization.RefuseOnceAsync(client, job.Delivery, webhook, comment.Author, Footer(meter), logger);
                return;
            }

            if (task == HelpTaskName)
            {
                await StickyComments.UpsertAsync(client, webhook.Repository, webhook.Issue.Number, HelpTaskName, job.Delivery,
                    Notices.Help(command) + Footer(meter));
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

    /// <summary><c>pull_request</c> jobs: a review when a pull request is opened, reopened, pushed to or marked ready.</summary>
    public async Task HandlePullRequestAsync(Job job, CancellationToken cancellationToken)
    {
        var pull = WebhookPayloadReader.ReadPullRequest(job);
        if (!IgnoreRules.ShouldReview(pull, logger))
        {
            return;
        }

        await ReviewAsync(job, pull.Issue, requestedBy: null, cancellationToken, pull.Draft);
    }

    /// <param name="requestedBy">The writer who typed <c>/runner review</c>, or null for a pull request event.</param>
    /// <param name="draft">For an event: whether the pull request is a draft (skipped unless the configuration says <c>review: {drafts: true}</c>).</param>
    private Task ReviewAsync(Job job, IssueWebhook webhook, string? requestedBy, CancellationToken cancellationToken, bool draft = false) =>
        RunLockedAsync(job, webhook, ReviewTaskName, GitHubPermissions.Reviewer, async (client, meter, ct) =>
        {
            if (requestedBy is not null && !await CommandAuthorization.MayCommandAsync(client, webhook.Repository, requestedBy))
            {
                await CommandAuthorization.RefuseOnceAsync(client, job.Delivery, webhook, requestedBy, Footer(meter), logger);
                return;
            }

            var run = await PrepareAsync(job, webhook, client, meter, ct);
            if (requestedBy is null && (!run.Config.Config.Review || (draft && !run.Config.Config.ReviewDrafts)))
            {
                logger.LogInformation("Review of {Repository}#{Number} skipped: {Reason} by {ConfigSource}", webhook.Repository,
                    webhook.Issue.Number, draft ? "drafts not enabled" : "disabled", run.Config.Source ?? "the defaults");
                return;
            }

            if (requestedBy is not null)
            {
                await ReactAsync(client, webhook);
            }

            if (await review.RunAsync(run, requested: requestedBy is not null, ct) is { } outcome)
            {
                await PostAsync(run, ReviewTaskName, outcome);
            }
        }, cancellationToken);

    /// <param name="requestedBy">The writer who typed <c>/runner fix</c> or added the label.</param>
    private Task FixAsync(Job job, IssueWebhook webhook, string requestedBy, string instructions, CancellationToken cancellationToken) =>
        RunLockedAsync(job, webhook, FixTaskName, GitHubPermissions.Fixer, async (client, meter, ct) =>
        {
            if (!await CommandAuthorization.MayCommandAsync(client, webhook.Repository, requestedBy))
            {
                if (webhook.Comment is null)
                {
                    logger.LogInformation("Ignoring the {Label} label on {Repository}#{Number}: {User} has no write access",
                        FixLabel, webhook.Repository, webhook.Issue.Number, requestedBy);
                    return;
                }

                await CommandAuthorization.RefuseOnceAsync(client, job.Delivery, webhook, requestedBy, Footer(meter), logger);
                return;
            }

            var run = await PrepareAsync(job, webhook, client, meter, ct);
            if (!run.Config.Config.Fix)
            {
                logger.LogInformation("Fix of {Repository}#{Number} refused: disabled by {ConfigSource}", webhook.Repository, webhook.Issue.Number, run.Config.Source);
                await PostAsync(run, FixTaskName, new TaskOutcome(
                    $"### Runner fix\n\nFixes are turned off for this repository (`fix: false` in {MarkdownText.Code(run.Config.Source ?? ".github/runner.yml")}), so Runner opened nothing.",
                    null, 0));
                return;
            }

            await ReactAsync(client, webhook);
            var outcome = await fix.RunAsync(run, run.DefaultBranch, instructions, requestedBy, ct);
            await PostAsync(run, FixTaskName, outcome);
        }, cancellationToken);

    private async Task RunLockedAsync(
        Job job, IssueWebhook webhook, string task, GitHubPermissions permissions, Func<IGitHubClient, RunMeter, CancellationToken, Task> work,
        CancellationToken cancellationToken)
    {
        await using var lease = await runLock.AcquireAsync(webhook, job.Delivery);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
        var meter = new RunMeter(timeProvider.GetTimestamp());
        var client = await IssueClients.CreateAsync(clientFactory, webhook, permissions, linked.Token);
        try
        {
            await work(client, meter, linked.Token);
            logger.LogInformation("Finished {Task} on {Repository}#{Number} in {ElapsedMs} ms ({Tokens} tokens)",
                task, webhook.Repository, webhook.Issue.Number, (long)timeProvider.GetElapsedTime(meter.Started).TotalMilliseconds, meter.Tokens);
        }
        catch (OperationCanceledException) when (lease.Lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw IssueRunLock.Lost(webhook);
        }
        catch (Exception exception) when (!linked.IsCancellationRequested)
        {
            // Help failures are classified like the others (a 404 is not retried), but get no failure comment.
            var failure = JobFailures.ToJobException(exception, task, webhook.Repository, timeProvider);
            logger.LogWarning("{Task} on {Repository}#{Number} failed (attempt {Attempt}): {Error}",
                task, webhook.Repository, webhook.Issue.Number, job.Attempt, failure.Message);
            if (task is not HelpTaskName)
            {
                await failureReporter.ReportAsync(client, job, webhook, task, exception, failure is PermanentJobException, meter);
            }

            if (ReferenceEquals(failure, exception))
            {
                throw;
            }

            throw failure;
        }
    }

    private string Footer(RunMeter meter) => CommentFooter.Render(null, 0, timeProvider.GetElapsedTime(meter.Started));

    private async Task<IssueRun> PrepareAsync(Job job, IssueWebhook webhook, IGitHubClient client, RunMeter meter, CancellationToken cancellationToken)
    {
        var repository = webhook.Repository;
        var branch = webhook.DefaultBranch
            ?? (await client.Repository.Get(repository.Owner, repository.Name)).DefaultBranch;
        var sha = (await client.Repository.Branch.Get(repository.Owner, repository.Name, branch)).Commit.Sha;
        var config = await configLoader.LoadAsync(client, repository, sha, webhook.InstallationId, cancellationToken);
        return new IssueRun(job, webhook, client, sha, config, AgentBudget.From(options.Value), meter, branch);
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
}
