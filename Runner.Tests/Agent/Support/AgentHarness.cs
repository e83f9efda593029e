using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Runner.Core.Agent;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Core.Queue;
using Runner.Tests.GitHub;
using StackExchange.Redis;

namespace Runner.Tests.Agent.Support;

/// <summary>
/// The agent as the worker runs it: handlers resolved from <c>AddRunnerAgent</c>, a real Redis, Octokit
/// talking to the GitHub stand-in over loopback, and a scripted LLM. Each harness gets its own repository
/// (so its own lock keys) and its own cache directory.
/// </summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    public const string Owner = "octo-org";
    public const string Maintainer = "hubot-maintainer";
    public const string Reporter = "mona";
    public const int IssueNumber = 42;
    public const long CommentId = 2090110011;

    private static int repositories;

    private AgentHarness(ScriptedGitHub gitHub, FakeRepository repository, ServiceProvider services, TestGitHubClientFactory factory, ScriptedLlm llm, string cacheDirectory, int maxAttempts)
    {
        MaxAttempts = maxAttempts;
        GitHub = gitHub;
        Repo = repository;
        Services = services;
        Factory = factory;
        Llm = llm;
        CacheDirectory = cacheDirectory;
    }

    public ScriptedGitHub GitHub { get; }

    /// <summary>The attempt limit the worker would stamp on jobs (RUNNER_MAX_ATTEMPTS).</summary>
    public int MaxAttempts { get; }

    public FakeRepository Repo { get; }

    public ServiceProvider Services { get; }

    public TestGitHubClientFactory Factory { get; }

    public ScriptedLlm Llm { get; }

    public string CacheDirectory { get; }

    public static async Task<AgentHarness> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var gitHub = await ScriptedGitHub.StartAsync();
        var repository = gitHub.Repository(Owner, $"hello-world-{Interlocked.Increment(ref repositories)}-{Guid.NewGuid().ToString("N")[..6]}");
        repository.WithPermission(Maintainer, "write")
            .WithLabels("bug", "enhancement", "documentation", "question")
            .WithFile("README.md", "# hello\nA friendly test repository.\n")
            .WithFile("src/ConfigLoader.cs", "namespace Hello;\n\npublic static class ConfigLoader\n{\n    public static Config Load(string path) => Parse(File.ReadAllText(path));\n}\n");

        var cacheDirectory = Path.Combine(Path.GetTempPath(), $"runner-agent-tests-{Guid.NewGuid():N}");
        var values = new Dictionary<string, string?> { ["RUNNER_CACHE_DIR"] = cacheDirectory };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var factory = new TestGitHubClientFactory(gitHub.BaseAddress);
        var llm = new ScriptedLlm();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(AgentRedis.Connection)
            .AddSingleton<IGitHubClientFactory>(factory)
            .AddSingleton(llm.Object)
            .AddRunnerAgent(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var maxAttempts = int.TryParse(values.GetValueOrDefault("RUNNER_MAX_ATTEMPTS"), out var limit) ? limit : QueueOptions.DefaultMaxAttempts;
        return new AgentHarness(gitHub, repository, services, factory, llm, cacheDirectory, maxAttempts);
    }

    /// <summary>Dispatches a job by event name, the way the queue worker does.</summary>
    public Task RunAsync(string eventName, string payload, string delivery = "delivery-1", int attempt = 1, CancellationToken cancellationToken = default)
    {
        // The worker stamps RUNNER_MAX_ATTEMPTS on every job; the harness does the same from its settings.
        var handler = Services.GetServices<IJobHandler>().Single(h => h.Events.Contains(eventName));
        return handler.HandleAsync(new Job("1-0", eventName, delivery, payload, attempt, DateTimeOffset.UtcNow, MaxAttempts), cancellationToken);
    }

    public string IssueOpened(string? title = null, string? body = null, string action = "opened", string senderType = "User", string sender = Reporter)
    {
        var payload = Fixture("issues.opened.json");
        payload["action"] = action;
        if (title is not null)
        {
            payload["issue"]!["title"] = title;
        }

        if (body is not null)
        {
            payload["issue"]!["body"] = body;
        }

        payload["sender"]!["login"] = sender;
        payload["sender"]!["type"] = senderType;
        return payload.ToJsonString();
    }

    public string CommentCreated(string body, string login = Maintainer, string userType = "User", long commentId = CommentId)
    {
        var payload = Fixture("issue_comment.created.json");
        payload["comment"]!["body"] = body;
        payload["comment"]!["id"] = commentId;
        payload["comment"]!["user"]!["login"] = login;
        payload["comment"]!["user"]!["type"] = userType;
        payload["sender"]!["login"] = login;
        payload["sender"]!["type"] = userType;
        return payload.ToJsonString();
    }

    /// <summary>A fixture payload moved onto this harness's repository.</summary>
    public JsonNode Fixture(string name)
    {
        var payload = JsonNode.Parse(File.ReadAllText(FixturePath(name)))!;
        var repository = payload["repository"]!;
        repository["name"] = Repo.Name;
        repository["full_name"] = Repo.FullName;
        repository["html_url"] = $"https://github.com/{Repo.FullName}";
        payload["issue"]!["html_url"] = $"https://github.com/{Repo.FullName}/issues/{IssueNumber}";
        return payload;
    }

    public static string FixturePath(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Agent", "Fixtures", name);

    public IReadOnlyList<FakeComment> Comments => Repo.CommentsOn(IssueNumber);

    /// <summary>The text of the user messages of a request (the prompt the issue text goes into).</summary>
    public static string UserText(ChatRequest request) =>
        string.Join("\n", request.Messages.Where(m => m.Role == ChatRole.User).Select(m => m.Content));

    public static string SystemText(ChatRequest request) =>
        string.Join("\n", request.Messages.Where(m => m.Role == ChatRole.System).Select(m => m.Content));

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await GitHub.DisposeAsync();
        if (Directory.Exists(CacheDirectory))
        {
            Directory.Delete(CacheDirectory, recursive: true);
        }
    }
}
