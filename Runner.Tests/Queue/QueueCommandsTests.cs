using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Runner.Cli;
using Runner.Core.Queue;
using Runner.Hosting;
using StackExchange.Redis;
using static Runner.Tests.Queue.QueueTestKit;

namespace Runner.Tests.Queue;

/// <summary>The queue verbs, run in-process against a real redis-server, with their output and exit codes.</summary>
public sealed class QueueCommandsTests : RedisTestBase
{
    private string stream = null!;
    private string directory = null!;


    [SetUp]
    public void NewStreamPerTest()
    {
        stream = NewStream();
        directory = Directory.CreateTempSubdirectory("runner-cli-").FullName;
    }

    [TearDown]
    public void RemoveFiles() => Directory.Delete(directory, recursive: true);

    [Test]
    public async Task Enqueue_adds_the_job_fields_a_producer_would_write()
    {
        var payload = """{"action":"opened","issue":{"number":7}}""";
        var file = await WriteFileAsync("issue.json", payload);

        var (code, output, error) = await RunAsync("enqueue", "issues", file, "--delivery", "cli-1");

        Assert.That((code, error), Is.EqualTo((0, string.Empty)));
        var entry = (await Db.StreamRangeAsync(stream)).Single();
        Assert.That(output.Trim(), Is.EqualTo($"enqueued {entry.Id} event=issues delivery=cli-1"));
        Assert.That(Field(entry, "event"), Is.EqualTo("issues"));
        Assert.That(Field(entry, "delivery"), Is.EqualTo("cli-1"));
        Assert.That(Field(entry, "payload"), Is.EqualTo(payload));
    }

    [Test]
    public async Task Enqueue_without_a_delivery_makes_up_a_unique_one()
    {
        var file = await WriteFileAsync("p.json", "{}");
        Assert.That((await RunAsync("enqueue", "issues", file)).Code, Is.Zero);
        Assert.That((await RunAsync("enqueue", "issues", file)).Code, Is.Zero);
        var deliveries = (await Db.StreamRangeAsync(stream)).Select(e => Field(e, "delivery")).ToList();
        Assert.That(deliveries.Distinct().Count(), Is.EqualTo(2));
        Assert.That(deliveries.All(d => Guid.TryParse(d, out _)), Is.True);
    }

    [Test]
    public async Task Enqueue_fails_with_one_line_for_a_missing_or_invalid_file()
    {
        var missing = await RunAsync("enqueue", "issues", Path.Combine(directory, "nope.json"));
        Assert.That(missing.Code, Is.EqualTo(1));
        Assert.That(missing.Error, Does.StartWith("runner: enqueue: cannot read"));
        Assert.That(missing.Error.Trim().Split('\n'), Has.Length.EqualTo(1));

        var invalid = await RunAsync("enqueue", "issues", await WriteFileAsync("bad.json", "{oops"));
        Assert.That(invalid.Code, Is.EqualTo(1));
        Assert.That(invalid.Error, Does.StartWith("runner: enqueue: ").And.Contain("is not valid JSON"));
        Assert.That(await Db.KeyExistsAsync(stream), Is.False, "nothing is enqueued on failure");
    }

    [Test]
    public async Task Status_shows_length_lag_pending_per_consumer_retries_dead_and_throughput()
    {
        for (var i = 0; i < 3; i++)
        {
            await EnqueueAsync(Redis, stream, $"s-{i}");
        }

        await Db.StreamCreateConsumerGroupAsync(stream, "runner", "0");
        await Db.StreamReadGroupAsync(stream, "runner", "worker-a", ">", 2);
        await Db.StreamAddAsync($"{stream}:dead", "error", "boom");
        await Db.SortedSetAddAsync($"{stream}:retry", "member", 1);
        await Db.HashIncrementAsync($"{stream}:stats:{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000}", "processed", 7);

        var (code, output, _) = await RunAsync("status");

        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain($"stream       {stream}  length 3"));
        Assert.That(output, Does.Match(@"group\s+runner  last delivered \S+  lag 1  pending 2"));
        Assert.That(output, Does.Match(@"worker-a\s+pending 2"));
        Assert.That(output, Does.Contain("retries      1 scheduled"));
        Assert.That(output, Does.Contain("dead         1 entries"));
        Assert.That(output, Does.Contain("last 1 min   7 processed  0 retried  0 dead"));
    }

    [Test]
    public async Task Status_of_a_queue_no_worker_has_seen_says_so()
    {
        var (code, output, _) = await RunAsync("status");
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("length 0").And.Contain("not created yet"));
    }

    [Test]
    public async Task Dead_entries_can_be_listed_replayed_one_by_one_or_all_and_purged()
    {
        var handler = new RecordingHandler { Behaviour = (_, _) => throw new PermanentJobException("no such repository") };
        using (var worker = Worker(Redis, Options(stream), handlers: handler))
        {
            await worker.StartAsync(CancellationToken.None);
            for (var i = 0; i < 4; i++)
            {
                await EnqueueAsync(Redis, stream, $"dead-{i}");
            }

            await EventuallyAsync(async () => await Db.StreamLengthAsync($"{stream}:dead") == 4, "four dead entries");
            await worker.StopAsync(CancellationToken.None);
        }

        var list = await RunAsync("dead", "list");
        Assert.That(list.Code, Is.Zero);
        var lines = list.Output.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(4));
        Assert.That(lines, Has.All.Contain("issues").And.Contain("attempts=1").And.Contain("PermanentJobException: no such repository"));
        Assert.That((await RunAsync("dead", "list", "--count", "2")).Output.Trim().Split('\n'), Has.Length.EqualTo(2));

        var firstDead = (await Db.StreamRangeAsync($"{stream}:dead")).First();
        var replayOne = await RunAsync("dead", "replay", firstDead.Id!);
        Assert.That(replayOne.Code, Is.Zero);
        Assert.That(replayOne.Output, Does.StartWith($"replayed {firstDead.Id} as "));
        var replayed = (await Db.StreamRangeAsync(stream)).Last();
        Assert.That(replayed.Values.Select(v => v.Name.ToString()), Is.EqualTo(new[] { "event", "delivery", "payload", "enqueued_at" }),
            "dead-letter fields are dropped so the job starts over at attempt 1");
        Assert.That(Field(replayed, "delivery"), Is.EqualTo(Field(firstDead, "delivery")));
        Assert.That(await Db.StreamLengthAsync($"{stream}:dead"), Is.EqualTo(3));

        var replayAll = await RunAsync("dead", "replay", "--all");
        Assert.That(replayAll.Output.Trim(), Is.EqualTo("replayed 3 dead entries"));
        Assert.That(await Db.StreamLengthAsync($"{stream}:dead"), Is.Zero);

        var succeeding = new RecordingHandler();
        using (var worker = Worker(Redis, Options(stream), handlers: succeeding))
        {
            await worker.StartAsync(CancellationToken.None);
            await EventuallyAsync(() => succeeding.Count == 4, "replayed jobs ran again");
            await worker.StopAsync(CancellationToken.None);
        }

        Assert.That(succeeding.Jobs.Select(j => j.Attempt), Is.All.EqualTo(1));
        await Db.StreamAddAsync($"{stream}:dead", "error", "x");
        await Db.StreamAddAsync($"{stream}:dead", "error", "y");
        var purge = await RunAsync("dead", "purge");
        Assert.That((purge.Code, purge.Output.Trim()), Is.EqualTo((0, "purged 2 dead entries")));
        Assert.That(await Db.KeyExistsAsync($"{stream}:dead"), Is.False);
        Assert.That((await RunAsync("dead", "list")).Output.Trim(), Is.EqualTo("no dead entries"));
    }

    [TestCase(new string[0], 2, "runner: dead replay: give one dead entry id or --all")]
    [TestCase(new[] { "1-1", "--all" }, 2, "runner: dead replay: give one dead entry id or --all")]
    [TestCase(new[] { "1-1" }, 1, "runner: dead replay: no dead entry 1-1")]
    public async Task Dead_replay_exit_codes(string[] arguments, int expectedCode, string expectedError)
    {
        var (code, _, error) = await RunAsync(["dead", "replay", .. arguments]);
        Assert.That(code, Is.EqualTo(expectedCode));
        Assert.That(error.Trim(), Does.StartWith(expectedError));
    }

    [Test]
    public async Task Dead_list_rejects_a_count_below_one()
    {
        var (code, _, error) = await RunAsync("dead", "list", "--count", "0");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("runner: dead list: --count"));
    }

    [Test]
    public async Task A_bad_redis_url_is_one_configuration_line_without_the_password()
    {
        var (code, output, error) = await RunWithAsync(new() { ["REDIS_URL"] = "redis://user:hunter2@cache:6379/99" }, "status");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(error.Trim(), Does.StartWith("runner: configuration error: REDIS_URL"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.Not.Contain("hunter2"));
    }

    [Test]
    public async Task An_unreachable_redis_fails_with_one_line()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, _, error) = await RunWithAsync(new() { ["REDIS_URL"] = $"redis://:pw@127.0.0.1:{closedPort}" }, "status");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error.Trim(), Is.EqualTo($"runner: status: cannot connect to Redis at 127.0.0.1:{closedPort} (check REDIS_URL)"));
    }

    [Test]
    public async Task A_bad_queue_setting_is_one_configuration_line()
    {
        var (code, _, error) = await RunWithAsync(new() { ["RUNNER_CONCURRENCY"] = "0" }, "status");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error.Trim(), Is.EqualTo("runner: configuration error: RUNNER_CONCURRENCY must be between 1 and 1024"));
    }

    [TestCase("enqueue")]
    [TestCase("dead", "replay", "a", "b")]
    [TestCase("status", "--bogus")]
    public async Task Command_line_mistakes_exit_with_2(params string[] arguments)
    {
        var original = Console.Error;
        using var error = new StringWriter();
        Console.SetError(error);
        try
        {
            Assert.That(await RunnerCli.InvokeAsync(arguments), Is.EqualTo(2));
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.That(error.ToString(), Does.StartWith("runner: ").And.Contain("(see --help)"));
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] arguments) => RunWithAsync([], arguments);

    private async Task<(int Code, string Output, string Error)> RunWithAsync(Dictionary<string, string?> overrides, params string[] arguments)
    {
        var settings = new Dictionary<string, string?> { ["REDIS_URL"] = Server.Url, ["RUNNER_STREAM"] = stream };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        HostApplicationBuilder CreateBuilder()
        {
            var builder = RunnerHost.CreateBuilder();
            builder.Configuration.AddInMemoryCollection(settings);
            return builder;
        }

        var root = new RootCommand();
        foreach (var command in QueueCommands.Create(CreateBuilder))
        {
            root.Subcommands.Add(command);
        }

        var parse = root.Parse(arguments);
        Assert.That(parse.Errors, Is.Empty, "the test's command line must parse");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private async Task<string> WriteFileAsync(string name, string content)
    {
        var path = Path.Combine(directory, name);
        await File.WriteAllTextAsync(path, content);
        return path;
    }
}
