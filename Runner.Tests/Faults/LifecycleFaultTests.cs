using StackExchange.Redis;

namespace Runner.Tests.Faults;

/// <summary>
/// Crashes, outages and shutdowns of real worker processes: every delivery ends done exactly once or dead-lettered with
/// a reason, none is lost, no issue gets a second comment (defects 1–3 of issue 11 and the fault cases around them).
/// </summary>
[Category("Faults")]
[Parallelizable(ParallelScope.Self)]
public sealed class LifecycleFaultTests
{
    private static readonly TimeSpan StepBound = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Defect 2: the worker is SIGKILLed in the middle of its model call twice; another worker reclaims the entry each
    /// time. Two abandonments (three attempts allowed) end in one completed run, and the dead run's issue lock never
    /// turns the reclaimed run away: no attempt is spent waiting for it to expire (with the default 60 s lock, every
    /// reclaim spent two, and three kills dead-lettered the job).
    /// </summary>
    [Test]
    public async Task Defect_2_a_job_whose_worker_is_killed_twice_is_reclaimed_and_completed_once()
    {
        await using var rig = await FaultRig.StartAsync();
        rig.Settings["RUNNER_MAX_ATTEMPTS"] = "3";
        var never = new TaskCompletionSource();
        rig.Model.Answer = call => call.Number <= 2 ? FaultModel.DefaultAnswer(call) with { Gate = never.Task } : FaultModel.DefaultAnswer(call);
        rig.StartWorker();
        rig.StartWorker();

        await rig.EnqueueAsync("issues", "killed-twice", Payloads.Issue("opened", 12));
        for (var kill = 1; kill <= 2; kill++)
        {
            await WaitForCallOrEndAsync(rig, kill, "killed-twice");
            if (rig.Model.Calls.Count < kill)
            {
                break;
            }

            rig.WorkerNamed(rig.Model.Calls[kill - 1].Worker).Kill();
            rig.StartWorker();
        }

        var ledger = await rig.SettleAsync(["killed-twice"], StepBound);
        ledger.AssertAllDoneOnce();
        Assert.That(rig.CommentsOn(12), Has.Count.EqualTo(1));
        Assert.That(rig.Model.Calls, Has.Count.EqualTo(3), "two killed runs and the one that finished");
        // Each reclaim is the same stream entry (abandonments are counted by its deliveries). A retry copy on the
        // stream means a reclaimed run was turned away by its own dead run's issue lock and spent an attempt waiting.
        var entries = await rig.Db.StreamRangeAsync(rig.Keys.StreamKey);
        Assert.That(entries.Select(e => $"{e.Id} attempt {(string?)e[Runner.Core.Queue.JobFields.Attempt] ?? "1"}").ToList(), Has.Count.EqualTo(1),
            $"the delivery ran on its one entry, no attempt spent on the orphaned lock\n{rig.WorkerOutput()}");
    }

    /// <summary>
    /// SIGKILL of a worker with jobs in its model calls, three times over; the other worker (and each replacement)
    /// reclaims. Six deliveries on six issues: all done once, one comment each.
    /// </summary>
    [Test]
    public async Task Workers_killed_mid_job_repeatedly_lose_no_delivery_and_post_no_second_comment()
    {
        await using var rig = await FaultRig.StartAsync();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Model.Answer = call => FaultModel.DefaultAnswer(call) with { Gate = hold.Task };
        rig.StartWorker();
        rig.StartWorker();
        var deliveries = Enumerable.Range(20, 6).Select(n => $"kill-{n}").ToList();
        foreach (var number in Enumerable.Range(20, 6))
        {
            await rig.EnqueueAsync("issues", $"kill-{number}", Payloads.Issue("opened", number));
        }

        for (var round = 1; round <= 3; round++)
        {
            string? victim = null;
            await Eventually.HoldsAsync(() =>
            {
                victim = rig.Model.Calls.Select(c => c.Worker).Distinct().FirstOrDefault(w => rig.Model.InFlight(w) > 0 && !rig.WorkerNamed(w).Killed);
                return victim is not null;
            }, $"a worker waiting on the model before kill {round}\n{rig.WorkerOutput()}", StepBound);
            rig.WorkerNamed(victim!).Kill();
            rig.StartWorker();
        }

        hold.SetResult();
        var ledger = await rig.SettleAsync(deliveries, TimeSpan.FromSeconds(60));

        ledger.AssertAllDoneOnce();
        foreach (var number in Enumerable.Range(20, 6))
        {
            Assert.That(rig.CommentsOn(number), Has.Count.EqualTo(1), $"comments on #{number}");
        }
    }

    /// <summary>
    /// Redis killed (-9) while jobs wait on the model, the answers land during the outage, Redis restarts from its AOF.
    /// All done once; and (defect 3) no delivery is deferred as "running elsewhere" and no running key is left behind:
    /// a released running key must not be re-created by the heartbeat.
    /// </summary>
    [Test]
    public async Task Redis_killed_and_restarted_with_AOF_mid_run_loses_nothing_and_leaves_no_running_key()
    {
        await using var rig = await FaultRig.StartAsync(persistentRedis: true);
        // Longer than the outage: the entries stay with their workers (no reclaim race), so a running key left over
        // afterwards can only be one that a heartbeat brought back after the job's outcome released it.
        rig.Settings["RUNNER_CLAIM_IDLE"] = "10s";
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Model.Answer = call => FaultModel.DefaultAnswer(call) with { Gate = hold.Task };
        rig.StartWorker();
        rig.StartWorker();
        var deliveries = Enumerable.Range(30, 6).Select(n => $"outage-{n}").ToList();
        foreach (var number in Enumerable.Range(30, 6))
        {
            await rig.EnqueueAsync("issues", $"outage-{number}", Payloads.Issue("opened", number));
        }

        await rig.Model.WaitForCallsAsync(6, StepBound);
        await rig.Redis.KillAsync();
        hold.SetResult();
        await Eventually.HoldsAsync(() => rig.Model.InFlight("w1") == 0 && rig.Model.InFlight("w2") == 0,
            "the model answered every call during the outage", StepBound);
        await rig.Redis.RestartAsync();

        var ledger = await rig.SettleAsync(deliveries, TimeSpan.FromSeconds(45));

        ledger.AssertAllDoneOnce();
        foreach (var number in Enumerable.Range(30, 6))
        {
            Assert.That(rig.CommentsOn(number), Has.Count.EqualTo(1), $"comments on #{number}");
        }

        Assert.That(await rig.RunningKeysAsync(), Is.Empty, "running keys left after every delivery finished (defect 3)");
        Assert.That(rig.CountOutputLines("running elsewhere"), Is.Zero, $"no delivery had a second entry\n{rig.WorkerOutput()}");
    }

    /// <summary>
    /// Defect 3, made deterministic: the running key of a job disappears while the job still runs (as it does when the
    /// job's own outcome script has released it and the heartbeat fires before the job leaves the held set). The next
    /// heartbeat must not re-create it: it extends only a key that still holds the job's own token. A re-created key
    /// turns the delivery's next entry away as "running elsewhere" for a whole lease.
    /// </summary>
    [Test]
    public async Task Defect_3_the_heartbeat_never_recreates_a_running_key_it_no_longer_holds()
    {
        await using var rig = await FaultRig.StartAsync();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Model.Answer = call => FaultModel.DefaultAnswer(call) with { Gate = hold.Task };
        rig.StartWorker();
        await rig.EnqueueAsync("issues", "heartbeat", Payloads.Issue("opened", 12));
        await rig.Model.WaitForCallsAsync(1, StepBound);
        var running = rig.Keys.Running("heartbeat");
        Assert.That(await rig.Db.KeyExistsAsync(running), Is.True, "the running job holds its running key");

        await rig.Db.KeyDeleteAsync(running);
        await WaitForHeartbeatAsync(rig);
        var recreated = await rig.Db.KeyExistsAsync(running);
        hold.SetResult();
        var ledger = await rig.SettleAsync(["heartbeat"], StepBound);

        Assert.That(recreated, Is.False, "the heartbeat re-created a running key it did not hold");
        ledger.AssertAllDoneOnce();
    }

    /// <summary>
    /// SIGTERM while a job is longer than RUNNER_SHUTDOWN_TIMEOUT: the process exits 0, the job stays pending, another
    /// worker reclaims and completes it at once (its running key was let go), with one comment.
    /// </summary>
    [Test]
    public async Task Sigterm_with_a_job_longer_than_the_shutdown_timeout_leaves_it_to_another_worker()
    {
        await using var rig = await FaultRig.StartAsync();
        rig.Settings["RUNNER_SHUTDOWN_TIMEOUT"] = "1s";
        var never = new TaskCompletionSource();
        rig.Model.Answer = call => call.Number == 1 ? FaultModel.DefaultAnswer(call) with { Gate = never.Task } : FaultModel.DefaultAnswer(call);
        var first = rig.StartWorker();

        await rig.EnqueueAsync("issues", "sigterm", Payloads.Issue("opened", 12));
        await rig.Model.WaitForCallsAsync(1, StepBound);
        await first.Process.TerminateAsync();
        var exit = await first.Process.WaitForExitAsync(StepBound);
        Assert.That(exit, Is.Zero, first.Process.AllText);
        Assert.That((await rig.ReadLedgerAsync(["sigterm"])).Entries.Single().Done, Is.False, "the job did not finish before the timeout");
        rig.StartWorker();

        var ledger = await rig.SettleAsync(["sigterm"], StepBound);

        ledger.AssertAllDoneOnce();
        Assert.That(rig.CommentsOn(12), Has.Count.EqualTo(1));
        Assert.That(rig.CountOutputLines("running elsewhere"), Is.Zero, $"the stopped worker let the running key go\n{rig.WorkerOutput()}");
    }

    /// <summary>Waits for the worker's next heartbeat: it re-claims the pending entry, which resets the entry's idle time.</summary>
    private static Task WaitForHeartbeatAsync(FaultRig rig)
    {
        long? last = null;
        return Eventually.HoldsAsync(async () =>
        {
            var pending = await rig.Db.StreamPendingMessagesAsync(rig.Keys.StreamKey, rig.Keys.Group, 1, RedisValue.Null);
            var idle = pending.Single().IdleTimeInMilliseconds;
            var reset = last is { } before && idle < before;
            last = idle;
            return reset;
        }, "a heartbeat of the running job", StepBound);
    }

    private static Task WaitForCallOrEndAsync(FaultRig rig, int calls, string delivery) =>
        Eventually.HoldsAsync(async () =>
            rig.Model.Calls.Count >= calls || (await rig.ReadLedgerAsync([delivery])).Unfinished.Count == 0,
            $"model call {calls} or the end of {delivery}\n{rig.WorkerOutput()}", StepBound);
}
