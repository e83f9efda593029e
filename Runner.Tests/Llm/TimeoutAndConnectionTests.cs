using System.Net;
using System.Net.Sockets;
using Runner.Core.Llm;
using Runner.Core.Llm.RateLimiting;

namespace Runner.Tests.Llm;

/// <summary>
/// LLM_TIMEOUT bounds silence (first byte, gaps between chunks), LLM_MAX_DURATION the whole call; broken
/// connections and cut streams are retried. The fake clock moves only when the test moves it.
/// </summary>
public sealed class TimeoutAndConnectionTests : FakeLlmServerFixture
{
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(30);
    [TestCase(Dialect.Native)]
    [TestCase(Dialect.OpenAi)]
    public async Task A_server_that_never_answers_times_out_after_the_silence_limit_and_is_retried(Dialect dialect)
    {
        Server.Then(Replies.Hang(), Replies.Text("second time lucky"));
        await using var harness = LlmHarness.Create(Server.UrlFor(dialect));

        var call = harness.AskAsync();
        await Server.NextArrivalAsync();
        harness.Time.Advance(Silence - TimeSpan.FromSeconds(1));
        Assert.That(call.IsCompleted, Is.False, "29 s of silence is still within LLM_TIMEOUT");
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var result = await call.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(result.Content, Is.EqualTo("second time lucky"));
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(2));
        Assert.That(harness.Logs.Attempts().First().Message, Does.Contain("timeout: no data for 30 s before the first byte"));
    }

    [Test]
    public async Task Silence_is_bounded_between_chunks_not_over_the_whole_stream()
    {
        var stepper = new ChunkStepper(Silence);
        Server.Then(Replies.Gated(stepper.Gate, "slow", " but", " steady", " answer"));
        await using var harness = LlmHarness.Create(Server.NativeUrl, time: stepper.Time, clock: stepper.Clock);

        var call = harness.AskAsync();
        for (var chunk = 0; chunk < 4; chunk++)
        {
            Assert.That(await stepper.ReleaseAndWaitForClientAsync(call), Is.True);
            stepper.Time.Advance(TimeSpan.FromSeconds(20));
        }

        stepper.Gate.Release();
        var result = await call.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(result.Content, Is.EqualTo("slow but steady answer"), "80 s in total, never 30 s of silence");
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_stream_that_stalls_after_its_first_chunk_times_out_and_is_retried()
    {
        var stepper = new ChunkStepper(Silence);
        Server.Then(Replies.StallAfterFirstChunk(), Replies.Text("retried"));
        await using var harness = LlmHarness.Create(Server.OpenAiUrl, time: stepper.Time, clock: stepper.Clock);

        var call = harness.AskAsync();
        await stepper.WaitUntilArmedAsync(3);
        stepper.Time.Advance(Silence - TimeSpan.FromSeconds(1));
        Assert.That(call.IsCompleted, Is.False);
        stepper.Time.Advance(TimeSpan.FromSeconds(1));
        var result = await call.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(result.Content, Is.EqualTo("retried"));
        Assert.That(harness.Logs.Attempts().First().Message, Does.Contain("timeout: no data for 30 s after"));
    }

    [TestCase(Dialect.Native)]
    [TestCase(Dialect.OpenAi)]
    public async Task A_stream_that_stops_midway_without_its_final_chunk_is_retried(Dialect dialect)
    {
        Server.Then(Replies.StopsMidway(), Replies.Text("complete"));
        await using var harness = LlmHarness.Create(Server.UrlFor(dialect));

        var result = await harness.AskAsync();

        Assert.That(result.Content, Is.EqualTo("complete"), "the half answer of the first attempt is dropped");
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(2));
        Assert.That(harness.Logs.Attempts().First().Message, Does.Contain("stream ended after"));
    }

    [Test]
    public async Task A_connection_reset_before_the_answer_is_retried()
    {
        Server.Then(Replies.Reset(), Replies.Text("ok"));
        await using var harness = LlmHarness.Create(Server.NativeUrl);

        var result = await harness.AskAsync();

        Assert.That(result.Content, Is.EqualTo("ok"));
        Assert.That(harness.Logs.Attempts().First().Message, Does.Contain("HttpRequestException"));
    }

    [TestCase(Dialect.Native)]
    [TestCase(Dialect.OpenAi)]
    public async Task A_connection_reset_in_the_middle_of_the_stream_is_retried(Dialect dialect)
    {
        var stepper = new ChunkStepper(Silence);
        Server.Then(Replies.CutMidStream(stepper.Gate), Replies.Text("whole"));
        await using var harness = LlmHarness.Create(Server.UrlFor(dialect), time: stepper.Time, clock: stepper.Clock);

        var call = harness.AskAsync();
        await stepper.WaitUntilArmedAsync(3);
        stepper.Gate.Release();
        var result = await call.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(result.Content, Is.EqualTo("whole"), "the half answer of the cut attempt is dropped");
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(2));
        Assert.That(harness.Logs.Attempts().First().Message, Does.Contain("stream cut after").And.Not.Contain("after 0 chunk(s)"));
    }

    [Test]
    public async Task Connection_refused_is_retried_five_times_then_reported_once()
    {
        await using var harness = LlmHarness.Create($"http://127.0.0.1:{ClosedPort()}/api");

        var exception = Assert.ThrowsAsync<LlmTransientException>(() => harness.AskAsync());

        Assert.That(exception!.Message, Does.StartWith("Failed to call LLM API after 5 attempts").And.Contain("ConnectionError"));
        Assert.That(harness.Logs.Attempts().Count(), Is.EqualTo(5));
        Assert.That(harness.PausesOf(LlmPauseKind.Backoff), Has.Count.EqualTo(4));
    }

    [Test]
    public async Task The_whole_call_is_bounded_by_max_duration()
    {
        Server.Then(Replies.Error(503, "busy", ("Retry-After", "30")), Replies.Error(503, "busy", ("Retry-After", "30")));
        await using var harness = LlmHarness.Create(Server.NativeUrl, new Dictionary<string, string?> { ["LLM_MAX_DURATION"] = "45s" });

        var exception = Assert.ThrowsAsync<LlmTransientException>(() => harness.AskAsync());

        Assert.Multiple(() =>
        {
            Assert.That(exception!.Kind, Is.EqualTo(LlmFailureKind.MaxDurationExceeded));
            Assert.That(exception.Message, Does.StartWith("Failed to call LLM API after 2 attempts").And.Contain("LLM_MAX_DURATION"));
            Assert.That(Server.ChatRequests, Has.Count.EqualTo(2), "a third attempt would start after 60 s, past the 45 s budget");
        });
    }

    [Test]
    public async Task Max_duration_also_cuts_an_attempt_that_keeps_streaming()
    {
        var stepper = new ChunkStepper(Silence);
        Server.Then(Replies.Gated(stepper.Gate, Enumerable.Repeat("tick", 100).ToArray()));
        await using var harness = LlmHarness.Create(Server.NativeUrl,
            new Dictionary<string, string?> { ["LLM_MAX_DURATION"] = "1m" }, time: stepper.Time, clock: stepper.Clock);

        var call = harness.AskAsync();
        var chunks = 0;
        while (await stepper.ReleaseAndWaitForClientAsync(call))
        {
            chunks++;
            stepper.Time.Advance(TimeSpan.FromSeconds(20));
        }

        var exception = Assert.ThrowsAsync<LlmTransientException>(() => call);
        Assert.That(exception!.Kind, Is.EqualTo(LlmFailureKind.MaxDurationExceeded));
        Assert.That(exception.Message, Does.Contain("LLM_MAX_DURATION"));
        Assert.That(chunks, Is.EqualTo(3), "cut at 60 s, after the third 20 s gap");
    }

    [Test]
    public async Task Cancellation_by_the_caller_is_not_retried_or_wrapped()
    {
        Server.Then(Replies.Hang());
        await using var harness = LlmHarness.Create(Server.NativeUrl);
        using var cancellation = new CancellationTokenSource();

        var call = harness.Client.ChatAsync(new ChatRequest([ChatMessage.User("hi")]), cancellation.Token);
        await Server.NextArrivalAsync();
        await cancellation.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Server.ChatRequests, Has.Count.EqualTo(1));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
