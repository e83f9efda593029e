using System.Net;

namespace Runner.Tests.Faults;

/// <summary>
/// How model answers and GitHub refusals reach the comment, through the real worker process: defects 4–6 of issue 11
/// and the unclassified <c>/runner help</c> failure.
/// </summary>
[Category("Faults")]
[Parallelizable(ParallelScope.Self)]
public sealed class AnswerFaultTests
{
    private const int Issue = 12;
    private static readonly TimeSpan UpperBound = TimeSpan.FromSeconds(40);

    [Test]
    public async Task A_triage_is_answered_once_with_one_comment()
    {
        await using var rig = await FaultRig.StartAsync();
        rig.StartWorker();

        await rig.EnqueueAsync("issues", "smoke-1", Payloads.Issue("opened", Issue));
        var ledger = await rig.SettleAsync(["smoke-1"], UpperBound);

        ledger.AssertAllDoneOnce();
        Assert.That(rig.CommentsOn(Issue), Has.Count.EqualTo(1), rig.WorkerOutput());
        Assert.That(rig.CommentsOn(Issue)[0].Body, Does.Contain("settings file is missing"));
    }

    /// <summary>Defect 4: Ollama's <c>"done_reason":"length"</c> / OpenAI's <c>finish_reason:"length"</c> were posted as a complete answer.</summary>
    [TestCase(false, "The", TestName = "Defect 4: a native stream ending done_reason length is not posted as a complete answer")]
    [TestCase(true, "{\"", TestName = "Defect 4: an OpenAI stream ending finish_reason length is not posted as a complete answer")]
    public async Task Length_stop_is_not_posted_as_a_complete_answer(bool openAi, string cutText)
    {
        await using var rig = await FaultRig.StartAsync();
        // The first answer is cut off by the length limit; any retry (with a larger budget) gets the whole answer.
        rig.Model.Answer = call => call.Number == 1 ? new ModelAnswer(cutText, StopReason: "length") : new ModelAnswer("The full answer.");
        rig.StartWorker(openAi: openAi);

        await rig.EnqueueAsync("issue_comment", "ask-length", Payloads.Comment(Issue, "/runner ask where are settings read?", 9001));
        var ledger = await rig.SettleAsync(["ask-length"], UpperBound);

        ledger.AssertAllDoneOnce();
        var comment = rig.CommentsOn(Issue).Single();
        Assert.That(comment.Body, Does.Contain("The full answer").Or.Match("(?i)cut off|truncat"),
            $"a length stop must be continued/retried or said; the comment was:\n{comment.Body}");
    }

    /// <summary>Defect 5: an OpenAI refusal (<c>delta.refusal</c>, empty content) ended as "The model gave no answer".</summary>
    [Test]
    public async Task Defect_5_an_OpenAI_refusal_reaches_the_comment_marked_as_a_refusal()
    {
        const string Refusal = "I can't help with reading that repository.";
        await using var rig = await FaultRig.StartAsync();
        rig.Model.Answer = _ => new ModelAnswer(string.Empty, Refusal: Refusal);
        rig.StartWorker(openAi: true);

        await rig.EnqueueAsync("issue_comment", "ask-refusal", Payloads.Comment(Issue, "/runner ask where are settings read?", 9002));
        var ledger = await rig.SettleAsync(["ask-refusal"], UpperBound);

        ledger.AssertAllDoneOnce();
        var comment = rig.CommentsOn(Issue).Single();
        Assert.That(comment.Body, Does.Contain(Refusal).And.Match("(?i)refus"), comment.Body);
        Assert.That(comment.Body, Does.Not.Contain("gave no answer"));
    }

    /// <summary>Defect 6: GitHub's 422 on adding labels was reported as missing permission.</summary>
    [Test]
    public async Task Defect_6_a_422_on_labels_says_what_GitHub_said_not_permissions()
    {
        await using var rig = await FaultRig.StartAsync();
        rig.Repository.WithFile(".github/runner.yml", "labels: apply\n");
        rig.GitHub.Failures["POST /labels"] = HttpStatusCode.UnprocessableEntity;
        rig.StartWorker();

        await rig.EnqueueAsync("issues", "labels-422", Payloads.Issue("opened", Issue));
        var ledger = await rig.SettleAsync(["labels-422"], UpperBound);

        ledger.AssertAllDoneOnce();
        Assert.That(rig.GitHub.Requests.Count(r => r.StartsWith("POST ", StringComparison.Ordinal) && r.EndsWith($"/issues/{Issue}/labels", StringComparison.Ordinal)),
            Is.GreaterThanOrEqualTo(1), "the worker tried to apply the label");
        var comment = rig.CommentsOn(Issue).Single();
        Assert.That(comment.Body, Does.Not.Contain("may not add labels"), comment.Body);
        // The stand-in answers {"message":"Server Error"} with status 422: that is what GitHub said.
        Assert.That(comment.Body, Does.Contain("Server Error").Or.Contain("422"), comment.Body);
    }

    /// <summary>Extra: a 404 in the /runner help path was never classified, so it was retried RUNNER_MAX_ATTEMPTS times.</summary>
    [Test]
    public async Task Extra_a_404_while_answering_runner_help_is_not_retried()
    {
        await using var rig = await FaultRig.StartAsync();
        rig.GitHub.Failures["GET /comments"] = HttpStatusCode.NotFound;
        rig.StartWorker();

        await rig.EnqueueAsync("issue_comment", "help-404", Payloads.Comment(Issue, "/runner help", 9003));
        var ledger = await rig.SettleAsync(["help-404"], UpperBound);

        Assert.That(ledger.Contradictions, Is.Empty, ledger.ToString());
        var reads = rig.GitHub.Requests.Count(r => r.StartsWith("GET ", StringComparison.Ordinal) && r.Contains($"/issues/{Issue}/comments", StringComparison.Ordinal));
        Assert.That(reads, Is.EqualTo(1), $"a 404 is not transient: one attempt, not a retry per attempt; ledger: {ledger}");
    }
}
