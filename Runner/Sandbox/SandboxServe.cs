using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Runner.Core.Configuration;
using Runner.Core.Queue;
using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Sandbox;

/// <summary>
/// <c>runner sandbox serve</c>: the sandbox's stand-ins for GitHub and the model, served on an address other
/// machines reach (the compose <c>demo</c> profile's <c>sandbox</c> service), so that a real deployment (the
/// worker container, Redis) can run a job end to end with no accounts. It seeds the demo repository, queues the
/// demo issue's <c>issues.opened</c> delivery on <c>REDIS_URL</c> as a producer would, prints every comment the
/// worker posts, and serves until SIGTERM or Ctrl-C.
/// </summary>
internal static class SandboxServe
{
    public const int DefaultGitHubPort = 8081;
    public const int DefaultModelPort = 8082;
    private static readonly TimeSpan CommentPoll = TimeSpan.FromMilliseconds(250);

    public static async Task<int> RunAsync(IConfiguration environment, string listen, int gitHubPort, int modelPort,
        TextWriter output, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });

        await using var gitHub = await GitHubStandIn.StartAsync(new GitHubStandInOptions { Url = Url(listen, gitHubPort) });
        var repository = DemoRepository.Seed(gitHub);
        await using var model = await LoopbackHttpServer.StartAsync(DemoModelServer.Map, Url(listen, modelPort));
        await output.WriteLineAsync(
            $"sandbox serve: GitHub stand-in on {gitHub.BaseAddress} holding {repository.FullName} (workers: GITHUB_API_URL=http://<this host>:{Port(gitHubPort)}, GITHUB_APP_ID={GitHubStandIn.AppId.ToString(CultureInfo.InvariantCulture)}, any RSA private key)");
        await output.WriteLineAsync(
            $"sandbox serve: model stand-in on {model.BaseAddress}api (workers: OLLAMA_API_URL=http://<this host>:{Port(modelPort)}/api, OLLAMA_MODEL={DemoModelServer.ModelName}, any OLLAMA_API_KEY)");

        var redisUrl = environment[RedisUrl.Variable];
        if (!string.IsNullOrWhiteSpace(redisUrl))
        {
            var error = await EnqueueDemoIssueAsync(redisUrl, environment["RUNNER_STREAM"], output);
            if (error is not null)
            {
                await output.WriteLineAsync($"runner: sandbox serve: {error}");
                return 1;
            }
        }
        else
        {
            await output.WriteLineAsync($"sandbox serve: {RedisUrl.Variable} is not set: nothing queued; enqueue the demo issue yourself");
        }

        await PrintCommentsAsync(repository, output, stop.Token);
        await output.WriteLineAsync("sandbox serve: stopping");
        return 0;
    }

    private static string Url(string listen, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"http://{(listen.Contains(':', StringComparison.Ordinal) ? $"[{listen}]" : listen)}:{port}");

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <returns>null when queued, else why not (one line, without the URL, which may hold a password).</returns>
    private static async Task<string?> EnqueueDemoIssueAsync(string redisUrl, string? configuredStream, TextWriter output)
    {
        if (!RedisUrl.TryParse(redisUrl, out var options, out var error))
        {
            return "configuration error: " + error;
        }

        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 5_000;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var stream = string.IsNullOrWhiteSpace(configuredStream) ? QueueOptions.DefaultStream : configuredStream.Trim();
        var delivery = Guid.NewGuid().ToString();
        try
        {
            var id = await new JobProducer(redis, stream, TimeProvider.System).EnqueueAsync("issues", delivery, DemoRepository.IssueOpenedPayload());
            await output.WriteLineAsync(
                $"sandbox serve: enqueued issues.opened for {DemoRepository.Owner}/{DemoRepository.Name}#{DemoRepository.NewIssueNumber} on {stream} as {id} (delivery {delivery})");
            return null;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return $"could not queue the demo issue on Redis: {exception.Message.Split('\n', 2)[0].Trim()}";
        }
    }

    /// <summary>Prints each comment once, and again whenever the worker edits it (comments are sticky).</summary>
    private static async Task PrintCommentsAsync(FakeRepository repository, TextWriter output, CancellationToken cancellationToken)
    {
        var printed = new Dictionary<long, string>();
        using var timer = new PeriodicTimer(CommentPoll);
        try
        {
            do
            {
                List<FakeComment> comments;
                lock (repository.Gate)
                {
                    comments = [.. repository.Comments];
                }

                foreach (var comment in comments.Where(c => !printed.TryGetValue(c.Id, out var body) || body != c.Body))
                {
                    printed[comment.Id] = comment.Body;
                    await output.WriteLineAsync($"----- comment by {comment.Login} on {repository.FullName}#{comment.IssueNumber} -----");
                    await output.WriteLineAsync(comment.Body);
                    await output.WriteLineAsync("-----");
                    await output.FlushAsync(cancellationToken);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // SIGTERM or Ctrl-C: a normal end.
        }
    }
}
