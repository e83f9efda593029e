using Runner.Core.GitHub;

namespace Runner.Tests.GitHub;

public sealed class WriteLaneTests
{
    [Test]
    public async Task Content_creating_requests_of_an_installation_run_one_at_a_time_and_spaced()
    {
        await using var context = await GitHubTestContext.StartAsync(s => s[GitHubOptions.WriteIntervalVariable] = "1s");
        context.StandIn.WriteDuration = TimeSpan.FromMilliseconds(20);
        var client = await context.ClientAsync();

        var writes = Enumerable.Range(0, 5)
            .Select(i => Task.Run(() => client.Issue.Comment.Create("octo-org", "hello", 1, $"comment {i}")))
            .ToArray();
        var gaps = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            gaps.Add(await context.Clock.AdvanceNextTimerAsync());
        }

        await Task.WhenAll(writes);

        var posts = context.StandIn.RequestsTo("POST", "/comments");
        Assert.That(context.StandIn.MaxConcurrentWrites, Is.EqualTo(1));
        Assert.That(gaps, Is.All.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(posts.Zip(posts.Skip(1), (a, b) => b.At - a.At), Is.All.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public async Task Reads_run_in_parallel_and_do_not_wait_for_write_spacing()
    {
        await using var context = await GitHubTestContext.StartAsync(s => s[GitHubOptions.WriteIntervalVariable] = "1s");
        var client = await context.ClientAsync();
        await client.Issue.Comment.Create("octo-org", "hello", 1, "a write just happened");
        context.StandIn.ReadRendezvous = 5;

        var reads = await Task.WhenAll(Enumerable.Range(1, 5).Select(n => client.Issue.Get("octo-org", "hello", n)));

        Assert.That(reads.Select(r => r.Number), Is.EquivalentTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(context.StandIn.MaxConcurrentReads, Is.EqualTo(5));
        Assert.That(context.Clock.TimerStarted, Is.False);
    }

    [Test]
    public async Task Writes_of_different_installations_do_not_queue_behind_each_other()
    {
        await using var context = await GitHubTestContext.StartAsync(s => s[GitHubOptions.WriteIntervalVariable] = "1s");
        context.StandIn.WriteRendezvous = 2;
        var org = await context.ClientAsync();
        var user = await context.ClientAsync(installationId: GitHubTestContext.InstallationId + 1, repository: new RepositoryRef("alice", "dotfiles"));

        // Queued behind each other, the second write would wait for the first one's spacing on a clock nobody moves.
        await Task.WhenAll(
            org.Issue.Comment.Create("octo-org", "hello", 1, "one"),
            user.Issue.Comment.Create("alice", "dotfiles", 1, "two")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(context.StandIn.MaxConcurrentWrites, Is.EqualTo(2));
    }

    [Test]
    public async Task A_write_handed_back_for_a_long_limit_releases_the_lane()
    {
        await using var context = await GitHubTestContext.StartAsync(s => s[GitHubOptions.WriteIntervalVariable] = "0");
        var client = await context.ClientAsync();
        context.StandIn.Enqueue("POST", "repos/octo-org/hello/issues/1/comments", 403,
            """{"message":"You have exceeded a secondary rate limit."}""", ("retry-after", "600"));

        GitHubAssert.ThrowsTransientAsync(() => client.Issue.Comment.Create("octo-org", "hello", 1, "first"));
        context.Clock.Advance(TimeSpan.FromMinutes(10));
        var comment = await client.Issue.Comment.Create("octo-org", "hello", 1, "second").WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(comment.Body, Is.EqualTo("second"));
    }
}
