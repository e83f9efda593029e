using System.Globalization;
using System.Text.Json.Nodes;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Tests.GitHub;
using Runner.Tests.Ops;
using StackExchange.Redis;

namespace Runner.Tests.Faults;

/// <summary>
/// One fault scenario's world: a real <c>redis-server</c> on a loopback port (AOF when asked), the GitHub stand-in and
/// the model stand-in in this process, and any number of real Runner worker processes (the test project's build of
/// Runner.dll, shared by every test) that the test starts, kills and stops.
/// </summary>
internal sealed class FaultRig : IAsyncDisposable
{
    public const string Owner = DemoRepository.Owner;
    public const string Name = DemoRepository.Name;

    private readonly List<Worker> workers = [];
    private readonly DirectoryInfo cacheRoot = Directory.CreateTempSubdirectory("runner-faults-");
    private int workerCounter;

    private FaultRig(LocalRedisServer redis, ScriptedGitHub gitHub, FaultModel model, ConnectionMultiplexer connection)
    {
        Redis = redis;
        GitHub = gitHub;
        Model = model;
        Connection = connection;
        Repository = DemoRepository.Seed(gitHub.StandIn);
        Keys = new QueueKeys($"faults:{Guid.NewGuid():N}", QueueOptions.DefaultGroup);
    }

    public LocalRedisServer Redis { get; }

    public ScriptedGitHub GitHub { get; }

    public FakeRepository Repository { get; }

    public FaultModel Model { get; }

    public ConnectionMultiplexer Connection { get; }

    public QueueKeys Keys { get; }

    /// <summary>Settings every worker of this rig gets (short, so the scenarios take seconds); tests override per worker.</summary>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.Ordinal)
    {
        ["RUNNER_CONCURRENCY"] = "4",
        ["RUNNER_CLAIM_IDLE"] = "1500ms",
        ["RUNNER_READ_BLOCK"] = "200ms",
        ["RUNNER_RETRY_BASE_DELAY"] = "200ms",
        ["RUNNER_RETRY_MAX_DELAY"] = "1s",
        ["RUNNER_SHUTDOWN_TIMEOUT"] = "5s",
        ["AGENT_LOCK_TTL"] = "5s",
        ["LLM_MIN_INTERVAL"] = "0",
        ["LLM_TIMEOUT"] = "30s",
        ["LLM_MAX_ATTEMPTS"] = "1",
        ["GITHUB_WRITE_INTERVAL"] = "0",
        ["RUNNER_LOG_LEVEL"] = "information",
    };

    public static async Task<FaultRig> StartAsync(bool persistentRedis = false)
    {
        var redis = persistentRedis ? await LocalRedisServer.StartPersistentAsync() : await LocalRedisServer.StartAsync();
        var options = RedisServiceCollectionExtensions.CreateConnectionOptions(redis.Url);
        options.AbortOnConnectFail = false;
        var connection = await ConnectionMultiplexer.ConnectAsync(options);
        return new FaultRig(redis, await ScriptedGitHub.StartAsync(), await FaultModel.StartAsync(), connection);
    }

    public IDatabase Db => Connection.GetDatabase();

    /// <summary>Starts a worker process; its model calls arrive under its own name, so the test knows whom to kill.</summary>
    public Worker StartWorker(IReadOnlyDictionary<string, string>? overrides = null, bool openAi = false)
    {
        var name = $"w{Interlocked.Increment(ref workerCounter)}";
        var environment = new Dictionary<string, string>(Settings, StringComparer.Ordinal)
        {
            ["REDIS_URL"] = Redis.Url,
            ["RUNNER_STREAM"] = Keys.Stream,
            ["RUNNER_CONSUMER"] = name,
            ["RUNNER_CACHE_DIR"] = cacheRoot.CreateSubdirectory(name).FullName,
            ["GITHUB_API_URL"] = GitHub.BaseAddress.ToString(),
            ["GITHUB_APP_ID"] = GitHubStandIn.AppId.ToString(CultureInfo.InvariantCulture),
            ["GITHUB_APP_PRIVATE_KEY"] = TestKeys.Pkcs1Pem,
            ["OLLAMA_API_URL"] = new Uri(Model.BaseAddress, openAi ? $"{name}/v1" : $"{name}/api").ToString(),
            ["OLLAMA_API_KEY"] = "fault-suite",
            ["OLLAMA_MODEL"] = FaultModel.ModelName,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var worker = new Worker(name, RunnerProcess.Start(environment));
        workers.Add(worker);
        return worker;
    }

    public Worker WorkerNamed(string name) => workers.Single(w => w.Name == name);

    /// <summary>Keys of running markers (<c>running:&lt;delivery&gt;</c>) that exist right now.</summary>
    public async Task<IReadOnlyList<string>> RunningKeysAsync()
    {
        var server = Connection.GetServer(Redis.HostPort);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: Keys.Running("*").ToString()))
        {
            keys.Add(key.ToString());
        }

        return keys;
    }

    public async Task EnqueueAsync(string eventName, string delivery, string payload) =>
        await new JobProducer(Connection, Keys.Stream, TimeProvider.System).EnqueueAsync(eventName, delivery, payload);

    /// <summary>Waits until every delivery is either done or dead-lettered and nothing is pending or scheduled.</summary>
    public async Task<Ledger> SettleAsync(IReadOnlyCollection<string> deliveries, TimeSpan upperBound)
    {
        Ledger? ledger = null;
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                ledger = await ReadLedgerAsync(deliveries);
                return ledger.Unfinished.Count == 0 && ledger.Pending == 0 && ledger.Scheduled == 0;
            }
            catch (RedisException)
            {
                return false;
            }
        }, $"every delivery done or dead-lettered; last ledger: {ledger}; workers said:\n{WorkerOutput()}", upperBound);
        return ledger!;
    }

    public async Task<Ledger> ReadLedgerAsync(IReadOnlyCollection<string> deliveries)
    {
        var dead = await Db.StreamRangeAsync(Keys.Dead);
        var deadByDelivery = dead
            .Select(e => (Delivery: (string?)e[JobFields.Delivery], Error: (string?)e[DeadLetterFields.Error], Attempts: (string?)e[DeadLetterFields.Attempts]))
            .ToLookup(e => e.Delivery ?? string.Empty);
        var entries = new List<LedgerEntry>();
        foreach (var delivery in deliveries)
        {
            var done = await Db.KeyExistsAsync(Keys.Done(delivery));
            var deaths = deadByDelivery[delivery].Select(d => $"{d.Error} (attempts {d.Attempts})").ToList();
            entries.Add(new LedgerEntry(delivery, done, deaths));
        }

        var groups = await Db.StreamGroupInfoAsync(Keys.StreamKey);
        var pending = groups.Where(g => g.Name == Keys.Group).Sum(g => g.PendingMessageCount);
        var scheduled = await Db.SortedSetLengthAsync(Keys.Retry);
        return new Ledger(entries, pending, scheduled, dead.Length);
    }

    /// <summary>Comments the bot created on an issue (edits of a sticky comment do not count).</summary>
    public IReadOnlyList<FakeComment> CommentsOn(int issue) => Repository.CommentsOn(issue);

    public string WorkerOutput() => string.Join("\n", workers.Select(w => $"--- {w.Name} ---\n{Tail(w.Process.AllText)}"));

    /// <summary>Lines of all workers' output containing <paramref name="text"/>.</summary>
    public int CountOutputLines(string text) =>
        workers.Sum(w => w.Process.Output.Count(l => l.Contains(text, StringComparison.Ordinal)));

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in workers.Where(w => !w.Killed))
        {
            worker.Process.Dispose();
        }

        await Connection.DisposeAsync();
        await Model.DisposeAsync();
        await GitHub.DisposeAsync();
        await Redis.DisposeAsync();
        try
        {
            cacheRoot.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A killed worker may have left a file half-written; the temp directory is cleaned by the system.
        }
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : "…" + text[^6000..];

    /// <summary>A started Runner worker process.</summary>
    internal sealed record Worker(string Name, RunnerProcess Process)
    {
        public bool Killed { get; private set; }

        /// <summary>SIGKILL: no shutdown, no release, no ack.</summary>
        public void Kill()
        {
            Killed = true;
            Process.Dispose();
        }
    }
}

/// <summary>What became of one delivery.</summary>
internal sealed record LedgerEntry(string Delivery, bool Done, IReadOnlyList<string> DeadLetters)
{
    public override string ToString() =>
        $"{Delivery}: {(Done ? "done" : "not done")}{(DeadLetters.Count > 0 ? ", dead: " + string.Join(" | ", DeadLetters) : string.Empty)}";
}

/// <summary>Every delivery of a scenario: done exactly once, or dead-lettered with a reason; never lost.</summary>
internal sealed record Ledger(IReadOnlyList<LedgerEntry> Entries, long Pending, long Scheduled, long DeadEntries)
{
    public IReadOnlyList<LedgerEntry> Unfinished => [.. Entries.Where(e => !e.Done && e.DeadLetters.Count == 0)];

    public IReadOnlyList<LedgerEntry> DeadLettered => [.. Entries.Where(e => e.DeadLetters.Count > 0)];

    /// <summary>Done and dead-lettered, or dead-lettered twice: never allowed.</summary>
    public IReadOnlyList<LedgerEntry> Contradictions => [.. Entries.Where(e => (e.Done && e.DeadLetters.Count > 0) || e.DeadLetters.Count > 1)];

    public override string ToString() =>
        $"pending {Pending}, scheduled {Scheduled}, dead {DeadEntries}\n  " + string.Join("\n  ", Entries);

    /// <summary>The suite's invariant for scenarios where nothing should fail: every delivery done, once.</summary>
    public void AssertAllDoneOnce()
    {
        Assert.That(Contradictions, Is.Empty, $"a delivery both completed and dead-lettered, or dead-lettered twice:\n{this}");
        Assert.That(DeadLettered, Is.Empty, $"deliveries dead-lettered:\n{this}");
        Assert.That(Entries.All(e => e.Done), Is.True, $"deliveries lost:\n{this}");
    }
}

/// <summary>Webhook payloads in GitHub's shape for the demo repository.</summary>
internal static class Payloads
{
    public static string Issue(string action, int number, string title = "Crash on start", string body = "It crashes when settings.json is missing.")
    {
        var payload = JsonNode.Parse(DemoRepository.IssueOpenedPayload())!.AsObject();
        payload["action"] = action;
        payload["issue"]!["number"] = number;
        payload["issue"]!["id"] = 2_272_000_000 + number;
        payload["issue"]!["title"] = title;
        payload["issue"]!["body"] = body;
        payload["issue"]!["url"] = $"https://api.github.com/repos/{FaultRig.Owner}/{FaultRig.Name}/issues/{number}";
        payload["issue"]!["html_url"] = $"https://github.com/{FaultRig.Owner}/{FaultRig.Name}/issues/{number}";
        return payload.ToJsonString();
    }

    /// <summary>An <c>issue_comment.created</c> by mona (who has write access on the demo repository).</summary>
    public static string Comment(int number, string text, long commentId)
    {
        var payload = JsonNode.Parse(Issue("created", number))!.AsObject();
        payload["comment"] = new JsonObject
        {
            ["id"] = commentId,
            ["body"] = text,
            ["html_url"] = $"https://github.com/{FaultRig.Owner}/{FaultRig.Name}/issues/{number}#issuecomment-{commentId}",
            ["user"] = new JsonObject { ["login"] = "mona", ["id"] = 583231, ["type"] = "User" },
        };
        return payload.ToJsonString();
    }
}
