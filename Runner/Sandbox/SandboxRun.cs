using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Runner.Core.Llm;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Hosting;
using StackExchange.Redis;

namespace Runner.Sandbox;

/// <summary>
/// <c>runner sandbox</c>: the real worker (queue, GitHub client, LLM client, agent) answers a demo issue on this
/// machine with no accounts. Only the far ends are stand-ins: GitHub on loopback, and the model unless
/// <c>OLLAMA_API_KEY</c> is set. Redis is a throw-away <c>redis-server</c> unless <c>REDIS_URL</c> is set, in which
/// case the sandbox uses a stream of its own so it never touches real jobs.
/// </summary>
internal static class SandboxRun
{
    public static async Task<int> RunAsync(IConfiguration environment, TimeSpan timeout, TextWriter output, CancellationToken cancellationToken,
        SandboxDemo demo = SandboxDemo.Triage)
    {
        var externalRedis = environment[RedisUrl.Variable];
        await using var localRedis = string.IsNullOrWhiteSpace(externalRedis) ? await LocalRedisServer.StartAsync(cancellationToken) : null;
        var stream = localRedis is null ? $"runner:sandbox:{Guid.NewGuid():N}" : QueueOptions.DefaultStream;
        await using var gitHub = await GitHubStandIn.StartAsync();
        var repository = DemoRepository.Seed(gitHub);
        SandboxDemos.Seed(repository, demo);
        var realModel = !string.IsNullOrWhiteSpace(environment["OLLAMA_API_KEY"]);
        await using var model = realModel ? null : await LoopbackHttpServer.StartAsync(DemoModelServer.Map);
        var cacheDirectory = Directory.CreateTempSubdirectory("runner-sandbox-");

        await output.WriteLineAsync($"sandbox: redis {(localRedis is null ? "from REDIS_URL, stream " + stream : "local redis-server on " + localRedis.HostPort)}");
        await output.WriteLineAsync($"sandbox: GitHub stand-in at {gitHub.BaseAddress} holding {repository.FullName} with issue #{DemoRepository.NewIssueNumber}");
        await output.WriteLineAsync(realModel
            ? $"sandbox: model {environment[LlmOptions.ModelVariable] ?? LlmOptions.DefaultModel} at {environment[LlmOptions.ApiUrlVariable] ?? LlmOptions.DefaultApiUrl} (OLLAMA_API_KEY is set)"
            : $"sandbox: model stand-in at {model!.BaseAddress}api (set OLLAMA_API_KEY to use the real model)");

        try
        {
            var builder = RunnerHost.CreateBuilder();
            builder.Configuration.AddInMemoryCollection(Overrides(localRedis?.Url ?? externalRedis!, stream, gitHub, model, cacheDirectory.FullName));
            builder.AddRunnerWorker();
            // A demo that stops by itself: no "Press Ctrl+C to shut down", content root or environment lines.
            builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
            using var host = builder.Build();
            if (!RunnerHost.TryValidateConfiguration(host.Services, out var error))
            {
                await output.WriteLineAsync($"runner: configuration error: {error}");
                return 1;
            }

            await host.StartAsync(cancellationToken);
            var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
            var keys = new QueueKeys(stream, QueueOptions.DefaultGroup);
            var delivery = Guid.NewGuid().ToString();
            var (eventName, payload) = SandboxDemos.Delivery(repository, demo);
            var target = SandboxDemos.Target(demo);
            var entryId = await new JobProducer(redis, stream, TimeProvider.System).EnqueueAsync(eventName, delivery, payload);
            if (localRedis is null)
            {
                // A backstop for a sandbox killed before its clean-up below: the stream expires by itself.
                await redis.GetDatabase().KeyExpireAsync(keys.StreamKey, TimeSpan.FromHours(1));
            }

            await output.WriteLineAsync($"sandbox: enqueued {eventName}.{System.Text.Json.Nodes.JsonNode.Parse(payload)!["action"]} for {repository.FullName}#{target} as {entryId} (delivery {delivery})");

            var outcome = await WaitForOutcomeAsync(redis.GetDatabase(), keys, delivery, timeout, cancellationToken);
            await host.StopAsync(CancellationToken.None);
            if (localRedis is null)
            {
                // The stream is the sandbox's own: it must not stay behind in the operator's Redis.
                await redis.GetDatabase().KeyDeleteAsync([keys.StreamKey, keys.Dead, keys.Retry, keys.Done(delivery), keys.Running(delivery)]);
            }

            await output.WriteLineAsync();
            await SandboxDemos.PrintAsync(repository, demo, output);
            var comments = repository.CommentsOn(target);
            foreach (var comment in comments)
            {
                await output.WriteLineAsync($"----- comment by {comment.Login} on {repository.FullName}#{target} -----");
                await output.WriteLineAsync(comment.Body);
                await output.WriteLineAsync("-----");
            }

            var labels = repository.IssueLabels.GetValueOrDefault(DemoRepository.NewIssueNumber) ?? [];
            await output.WriteLineAsync($"sandbox: labels on the issue: {(labels.Count == 0 ? "none applied (suggested only)" : string.Join(", ", labels))}");
            await output.WriteLineAsync($"sandbox: reactions: {string.Join(", ", repository.Reactions.Select(r => $"{r.Content} on {r.Target}"))}");
            await output.WriteLineAsync($"sandbox: outcome: {outcome}");
            return outcome == SandboxOutcome.Completed && comments.Count > 0 && SandboxDemos.Succeeded(repository, demo) ? 0 : 1;
        }
        finally
        {
            cacheDirectory.Delete(recursive: true);
        }
    }

    private static Dictionary<string, string?> Overrides(string redisUrl, string stream, GitHubStandIn gitHub, LoopbackHttpServer? model, string cacheDirectory)
    {
        using var key = RSA.Create(2048);
        var overrides = new Dictionary<string, string?>
        {
            [RedisUrl.Variable] = redisUrl,
            ["RUNNER_STREAM"] = stream,
            ["RUNNER_GROUP"] = QueueOptions.DefaultGroup,
            ["RUNNER_CONSUMER"] = "sandbox",
            ["RUNNER_CACHE_DIR"] = cacheDirectory,
            ["GITHUB_API_URL"] = gitHub.BaseAddress.ToString(),
            ["GITHUB_APP_ID"] = GitHubStandIn.AppId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["GITHUB_CLIENT_ID"] = string.Empty,
            ["GITHUB_APP_PRIVATE_KEY"] = key.ExportRSAPrivateKeyPem(),
            ["GITHUB_APP_PRIVATE_KEY_PATH"] = string.Empty,
            ["GITHUB_WRITE_INTERVAL"] = "0",
        };
        if (model is not null)
        {
            overrides["OLLAMA_API_URL"] = new Uri(model.BaseAddress, "api").ToString();
            overrides["OLLAMA_API_KEY"] = "sandbox";
            overrides["OLLAMA_MODEL"] = DemoModelServer.ModelName;
            overrides["OLLAMA_API_FORMAT"] = "native";
        }

        return overrides;
    }

    private static async Task<SandboxOutcome> WaitForOutcomeAsync(
        IDatabase redis, QueueKeys keys, string delivery, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await redis.KeyExistsAsync(keys.Done(delivery)))
            {
                return SandboxOutcome.Completed;
            }

            if (await redis.StreamLengthAsync(keys.Dead) > 0)
            {
                return SandboxOutcome.DeadLettered;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        return SandboxOutcome.TimedOut;
    }

    private enum SandboxOutcome
    {
        Completed,
        DeadLettered,
        TimedOut,
    }
}
