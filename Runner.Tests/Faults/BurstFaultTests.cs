namespace Runner.Tests.Faults;

/// <summary>
/// Many deliveries for one issue at once, across two worker processes (defect 1 of issue 11). Its own fixture, run
/// beside the others: it mostly waits for the issue's waiters to take their turn.
/// </summary>
[Category("Faults")]
[Parallelizable(ParallelScope.Self)]
public sealed class BurstFaultTests
{
    /// <summary>
    /// Defect 1: eleven deliveries for one issue (one opened, ten reopened) across two workers while the model answers
    /// slowly. Waiting for the issue lock must not spend attempts: with two attempts allowed, none may be dead-lettered
    /// for "being handled by another run". One sticky comment, edited by each run.
    /// </summary>
    [Test]
    public async Task Defect_1_a_burst_for_one_issue_across_two_workers_completes_every_delivery()
    {
        await using var rig = await FaultRig.StartAsync();
        rig.Settings["RUNNER_MAX_ATTEMPTS"] = "2";
        rig.Model.Answer = call => FaultModel.DefaultAnswer(call) with { Delay = TimeSpan.FromMilliseconds(300) };
        rig.StartWorker();
        rig.StartWorker();
        var deliveries = Enumerable.Range(0, 11).Select(i => $"burst-{i}").ToList();

        await rig.EnqueueAsync("issues", deliveries[0], Payloads.Issue("opened", 12));
        foreach (var delivery in deliveries.Skip(1))
        {
            await rig.EnqueueAsync("issues", delivery, Payloads.Issue("reopened", 12));
        }

        var ledger = await rig.SettleAsync(deliveries, TimeSpan.FromSeconds(90));

        ledger.AssertAllDoneOnce();
        Assert.That(rig.CommentsOn(12), Has.Count.EqualTo(1), "one sticky triage comment");
        Assert.That(rig.Model.Calls, Has.Count.EqualTo(11), "each delivery ran the model once");
    }
}
