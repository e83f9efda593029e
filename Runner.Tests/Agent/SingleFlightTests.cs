using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Octokit;
using Octokit.Internal;
using Runner.Core.Agent;
using Runner.Core.Agent.Archive;
using Runner.Core.GitHub;
using Runner.Tests.Agent.Support;
using Runner.Tests.GitHub;

namespace Runner.Tests.Agent;

/// <summary>
/// The one single-flight helper: shared work is detached from every caller's cancellation. Through the archive
/// cache (a real tarball download from the GitHub stand-in, held at the socket) and through the helper itself.
/// </summary>
public sealed class SingleFlightTests
{
    [Test]
    public async Task A_cancelled_first_run_does_not_fail_the_runs_waiting_for_the_same_tarball()
    {
        await using var gitHub = await ScriptedGitHub.StartAsync();
        var repo = gitHub.Repository("octo-org", "shared").WithFile("README.md", "# hi\n");
        var gate = new TarballGate();
        var client = new GitHubClient(new Connection(new ProductHeaderValue("runner-tests"), new Uri(gitHub.BaseAddress, "api/v3/"),
            new InMemoryCredentialStore(new Credentials("test-token")), new HttpClientAdapter(() => gate), new SimpleJsonSerializer()));
        var root = Path.Combine(Path.GetTempPath(), $"runner-singleflight-tests-{Guid.NewGuid():N}");
        try
        {
            using var cache = new RepositoryArchiveCache(
                Options.Create(new AgentOptions { CacheDirectory = root }), new FakeTimeProvider(DateTimeOffset.UtcNow), NullLogger<RepositoryArchiveCache>.Instance);
            var repository = new RepositoryRef(repo.Owner, repo.Name);
            using var first = new CancellationTokenSource();

            var firstRun = cache.AcquireAsync(client, repository, repo.Sha, first.Token);
            await gate.Arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var secondRun = cache.AcquireAsync(client, repository, repo.Sha, CancellationToken.None);
            await first.CancelAsync();
            gate.Release.SetResult();

            using var lease = await secondRun;
            Assert.That(async () => await firstRun, Throws.InstanceOf<OperationCanceledException>(), "the cancelled run itself stops");
            Assert.That(lease.Snapshot?.Files.Select(f => f.Path), Is.EqualTo(new[] { "README.md" }), lease.UnavailableReason);
            Assert.That(gitHub.TarballDownloads(repo), Is.EqualTo(1), "one shared download");
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Test]
    public async Task A_cancelled_first_caller_leaves_the_shared_fetch_running_and_its_value_cached_for_the_others()
    {
        var cache = new SingleFlightCache<string, int>();
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var fetches = 0;
        var fetchCancelled = false;
        Func<CancellationToken, Task<int>> fetch = token =>
        {
            Interlocked.Increment(ref fetches);
            token.Register(() => fetchCancelled = true);
            return release.Task;
        };
        using var first = new CancellationTokenSource();

        var firstCall = cache.GetAsync("k", _ => true, fetch, first.Token);
        var secondCall = cache.GetAsync("k", _ => true, fetch, CancellationToken.None);
        await first.CancelAsync();

        Assert.That(async () => await firstCall, Throws.InstanceOf<OperationCanceledException>());
        release.SetResult(7);
        Assert.That(await secondCall, Is.EqualTo(7));
        Assert.That(await cache.GetAsync("k", _ => true, fetch, CancellationToken.None), Is.EqualTo(7), "kept while fresh");
        Assert.That((fetches, fetchCancelled), Is.EqualTo((1, false)));
    }

    [Test]
    public async Task Work_no_caller_waits_for_any_more_is_cancelled_and_the_next_caller_starts_afresh()
    {
        var cache = new SingleFlightCache<string, string>();
        var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();

        var calls = new[] { first, second }.Select(caller => cache.RunAsync("k", async token =>
        {
            Interlocked.Increment(ref runs);
            token.Register(() => abandoned.TrySetResult());
            await Task.Delay(Timeout.InfiniteTimeSpan, token);
            return "never";
        }, caller.Token)).ToList();
        await first.CancelAsync();
        Assert.That(async () => await calls[0], Throws.InstanceOf<OperationCanceledException>());
        Assert.That(abandoned.Task.IsCompleted, Is.False, "the second caller still waits");
        await second.CancelAsync();
        Assert.That(async () => await calls[1], Throws.InstanceOf<OperationCanceledException>());
        await abandoned.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(await cache.RunAsync("k", _ => Task.FromResult("fresh"), CancellationToken.None), Is.EqualTo("fresh"));
        Assert.That(await cache.RunAsync("k", _ => Task.FromResult("not kept"), CancellationToken.None), Is.EqualTo("not kept"), "RunAsync keeps nothing");
    }

    /// <summary>Holds the tarball request at the socket until the test releases it.</summary>
    private sealed class TarballGate() : DelegatingHandler(HttpMessageHandlerFactory.CreateDefault())
    {
        public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.Contains("/tarball/", StringComparison.Ordinal))
            {
                Arrived.TrySetResult();
                await Release.Task;
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
