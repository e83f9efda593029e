using System.Formats.Tar;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Octokit;
using Runner.Core.Agent.Archive;
using Runner.Core.Agent;
using Runner.Core.GitHub;
using Runner.Tests.Agent.Support;
using Runner.Tests.GitHub;

namespace Runner.Tests.Agent;

public sealed class ArchiveCacheTests
{
    private ScriptedGitHub gitHub = null!;
    private FakeRepository repo = null!;
    private IGitHubClient client = null!;
    private string root = null!;
    private FakeTimeProvider time = null!;

    private RepositoryRef Repository => new(repo.Owner, repo.Name);

    [SetUp]
    public async Task SetUpAsync()
    {
        gitHub = await ScriptedGitHub.StartAsync();
        repo = gitHub.Repository("octo-org", "archive").WithFile("README.md", "# hi\n").WithFile("src/a.cs", "class A {}\n");
        client = await new TestGitHubClientFactory(gitHub.BaseAddress).CreateForRepositoryAsync(Repository, null, GitHubPermissions.ReadOnly, CancellationToken.None);
        root = Path.Combine(Path.GetTempPath(), $"runner-archive-tests-{Guid.NewGuid():N}");
        time = new FakeTimeProvider(DateTimeOffset.UtcNow);
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        await gitHub.DisposeAsync();
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Test]
    public async Task Extraction_keeps_text_files_and_skips_traversal_absolute_links_binaries_and_huge_files()
    {
        var top = repo.TopFolder;
        gitHub.AddTarballEntries(repo, 
        [
            new TarballEntry("../escape.txt", Encoding.UTF8.GetBytes("out"), Raw: true),
            new TarballEntry($"{top}/../../escape2.txt", Encoding.UTF8.GetBytes("out"), Raw: true),
            new TarballEntry("/tmp/absolute.txt", Encoding.UTF8.GetBytes("out"), Raw: true),
            new TarballEntry("passwd-link", [], TarEntryType.SymbolicLink, LinkName: "/etc/passwd"),
            new TarballEntry("hard-link", [], TarEntryType.HardLink, LinkName: $"{top}/README.md"),
            new TarballEntry("logo.png", [0x89, 0x50, 0x4E, 0x47, 0x00, 0x00, 0x01]),
            new TarballEntry("data/huge.txt", Encoding.UTF8.GetBytes(new string('a', 1024 * 1024 + 1))),
        ]);
        using var cache = Cache();

        using var lease = await cache.AcquireAsync(client, Repository, repo.Sha, CancellationToken.None);

        var snapshot = lease.Snapshot!;
        Assert.That(snapshot.Files.Select(f => f.Path), Is.EqualTo(new[] { "README.md", "src/a.cs" }));
        Assert.That(snapshot.Note, Is.EqualTo("Skipped 1 binary file, 1 file over 1 MB, 2 symbolic or hard links, 3 entries with an unsafe path."));
        Assert.That(await snapshot.ReadTextAsync("src/a.cs", CancellationToken.None), Is.EqualTo("class A {}\n"));
        var everything = Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(root)!, "*escape*", SearchOption.TopDirectoryOnly)
            .Concat(Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)).ToList();
        Assert.That(everything.Where(p => p.Contains("escape", StringComparison.Ordinal) || p.Contains("absolute", StringComparison.Ordinal)), Is.Empty);
        Assert.That(everything.Select(p => new FileInfo(p)).Where(f => f.LinkTarget is not null), Is.Empty, "no link is ever created");
    }

    [Test]
    public async Task A_repository_over_the_archive_cap_is_read_in_part_and_says_so()
    {
        var chunk = new string('x', 400 * 1024);
        repo.WithFile("a.txt", chunk).WithFile("b.txt", chunk).WithFile("c.txt", chunk);
        using var cache = Cache(archiveMb: 1, cacheMb: 10);

        using var lease = await cache.AcquireAsync(client, Repository, repo.Sha, CancellationToken.None);

        Assert.That(lease.Snapshot!.Files.Sum(f => f.Size), Is.LessThanOrEqualTo(1024 * 1024));
        Assert.That(lease.Snapshot.Note, Does.StartWith("Only part of the repository was read: its text files are larger than 1 MB."));
    }

    [Test]
    public async Task One_commit_is_downloaded_once_by_concurrent_runs_and_by_a_restarted_process()
    {
        using (var cache = Cache())
        {
            var leases = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => cache.AcquireAsync(client, Repository, repo.Sha, CancellationToken.None)));
            Assert.That(leases.Select(l => l.Snapshot!.Files.Count), Is.All.EqualTo(2));
            foreach (var lease in leases)
            {
                lease.Dispose();
            }
        }

        using var restarted = Cache();
        using var again = await restarted.AcquireAsync(client, Repository, repo.Sha, CancellationToken.None);

        Assert.That(again.Snapshot!.Files.Count, Is.EqualTo(2));
        Assert.That(gitHub.TarballDownloads(repo), Is.EqualTo(1));
    }

    [Test]
    public async Task The_cache_evicts_the_least_recently_used_snapshot_that_no_run_is_reading()
    {
        using var cache = Cache(archiveMb: 1, cacheMb: 1);
        var shas = new List<string>();
        var leases = new List<SnapshotLease>();
        for (var i = 0; i < 4; i++)
        {
            repo.Sha = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
            repo.Files["big.txt"] = new string((char)('a' + i), 300 * 1024);
            shas.Add(repo.Sha);
            time.Advance(TimeSpan.FromMinutes(1));
            leases.Add(await cache.AcquireAsync(client, Repository, repo.Sha, CancellationToken.None));
            if (i is 1 or 2)
            {
                leases[i].Dispose();
            }
        }

        // 4 × 300 KB > 1 MB, so one snapshot goes: the oldest, 0, is still being read, so the next oldest, 1, goes.
        var kept = Directory.EnumerateDirectories(root).Select(Path.GetFileName).ToList();
        Assert.That(kept, Has.Count.EqualTo(3));
        Assert.That(kept, Has.None.EndsWith(shas[1]));
        Assert.That(kept, Has.Some.EndsWith(shas[0]).And.Some.EndsWith(shas[2]).And.Some.EndsWith(shas[3]));
        Assert.That(await leases[0].Snapshot!.ReadTextAsync("big.txt", CancellationToken.None), Does.StartWith("aaa"));
        leases.ForEach(l => l.Dispose());

        // Reading 2 again makes 0 the least recently used once it is released.
        time.Advance(TimeSpan.FromMinutes(1));
        (await cache.AcquireAsync(client, Repository, shas[2], CancellationToken.None)).Dispose();
        repo.Sha = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        time.Advance(TimeSpan.FromMinutes(1));
        (await cache.AcquireAsync(client, Repository, repo.Sha, CancellationToken.None)).Dispose();
        kept = Directory.EnumerateDirectories(root).Select(Path.GetFileName).ToList();
        Assert.That(kept, Has.None.EndsWith(shas[0]).And.Some.EndsWith(shas[2]));
    }

    [Test]
    public async Task A_commit_GitHub_has_no_tarball_for_is_unavailable_not_an_error()
    {
        using var cache = Cache();

        using var lease = await cache.AcquireAsync(client, Repository, new string('0', 40), CancellationToken.None);

        Assert.That(lease.Snapshot, Is.Null);
        Assert.That(lease.UnavailableReason, Is.EqualTo("GitHub did not hand out a tarball of this commit"));
    }

    private RepositoryArchiveCache Cache(int archiveMb = 5, int cacheMb = 50) => new(
        Options.Create(new AgentOptions { CacheDirectory = root, ArchiveMaxMegabytes = archiveMb, CacheMaxMegabytes = cacheMb }),
        time,
        NullLogger<RepositoryArchiveCache>.Instance);
}
