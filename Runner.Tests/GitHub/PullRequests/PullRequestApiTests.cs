using System.Text.Json;
using Octokit;
using Runner.Core.Agent.Review;
using Runner.Core.Agent.Tools;
using Runner.Core.GitHub;
using Runner.Core.GitHub.PullRequests;
using Runner.Sandbox;

namespace Runner.Tests.GitHub.PullRequests;

/// <summary>The pull request client against the GitHub stand-in's <see cref="PullRequestStandIn"/> over real loopback sockets.</summary>
[TestFixture]
public sealed class PullRequestApiTests
{
    private const string Head1 = "1111111111111111111111111111111111111111";
    private const string Head2 = "2222222222222222222222222222222222222222";
    private const string Base = "0000000000000000000000000000000000000000";

    private const string AppPatch = "@@ -1,3 +1,4 @@\n using System;\n+using System.IO;\n \n class App\n@@ -20,2 +21,3 @@ class App\n     void Run()\n+    {\n     }";

    private ScriptedGitHub gitHub = null!;
    private PullRequestStandIn standIn = null!;
    private PullRequestApi api = null!;

    [SetUp]
    public async Task StartAsync()
    {
        gitHub = await ScriptedGitHub.StartAsync();
        standIn = gitHub.Repository("octo-org", "hello").PullRequests;
        var client = new GitHubClient(new ProductHeaderValue("runner-tests"), gitHub.Root) { Credentials = new Credentials("test-token") };
        api = new PullRequestApi(client, new RepositoryRef("octo-org", "hello"));
        standIn.AddPullRequest(7, Head1, "feature", "main", Base,
        [
            ("src/App.cs", "modified", AppPatch),
            ("assets/logo.png", "added", null),
            ("src/Util.cs", "added", "@@ -0,0 +1,2 @@\n+static class Util\n+{}"),
            ("docs/a.md", "modified", "@@ -1 +1 @@\n-a\n+b"),
            ("docs/b.md", "modified", "@@ -1 +1 @@\n-a\n+b"),
        ]);
    }

    [TearDown]
    public async Task StopAsync() => await gitHub.DisposeAsync();

    [Test]
    public async Task The_pull_request_and_all_pages_of_its_files_are_read()
    {
        standIn.MaxPageSize = 2;

        var pr = await api.GetAsync(7, CancellationToken.None);
        var files = await api.ListFilesAsync(7, CancellationToken.None);

        Assert.That((pr.Number, pr.HeadSha, pr.HeadRef, pr.BaseRef, pr.HeadRepository, pr.Draft), Is.EqualTo((7, Head1, "feature", "main", "octo-org/hello", false)));
        Assert.That(files.Select(f => f.Path), Is.EqualTo(new[] { "src/App.cs", "assets/logo.png", "src/Util.cs", "docs/a.md", "docs/b.md" }));
        Assert.That(files[1].Patch, Is.Null);
        Assert.That(gitHub.Seen.Count(r => r.Path.Contains("/pulls/7/files", StringComparison.Ordinal)), Is.EqualTo(3),
            "5 files at 2 per page: the Link header was followed twice");
    }

    [Test]
    public async Task Compare_tells_an_incremental_push_from_a_force_push()
    {
        standIn.AddComparison(Head1, Head2, "ahead", [("src/Util.cs", "modified", "@@ -1,2 +1,3 @@\n static class Util\n+// new\n {}")]);
        standIn.AddComparison(Head2, Head1, "diverged", []);

        var ahead = await api.CompareAsync(Head1, Head2, CancellationToken.None);
        var diverged = await api.CompareAsync(Head2, Head1, CancellationToken.None);
        var missing = await api.CompareAsync("3333333333333333333333333333333333333333", Head2, CancellationToken.None);

        Assert.That((ahead.IsIncremental, ahead.Files.Single().Path), Is.EqualTo((true, "src/Util.cs")));
        Assert.That((diverged.Status, diverged.IsIncremental), Is.EqualTo(("diverged", false)));
        Assert.That((missing.Status, missing.IsIncremental), Is.EqualTo(("missing", false)), "the old head is gone after a force-push: 404");
    }

    [Test]
    public void GitHub_rejects_a_review_with_a_comment_outside_the_diff()
    {
        var draft = new ReviewDraft(Head1, "body", [new InlineComment("src/App.cs", 2, "ok"), new InlineComment("src/App.cs", 10, "between hunks")]);

        Assert.ThrowsAsync<ApiValidationException>(() => api.CreateReviewAsync(7, draft, CancellationToken.None));
        Assert.That(standIn.ReviewsOf(7), Is.Empty, "one bad anchor loses the whole review");
    }

    [Test]
    public async Task A_checked_review_posts_only_valid_anchors_as_one_COMMENT_review()
    {
        var files = await api.ListFilesAsync(7, CancellationToken.None);
        var selection = ReviewFileSelector.Select(files, PathFilter.None, ReviewBudget.Default);
        var answer = ReviewAnswerParser.TryParse("""
            {"summary": "Adds IO.", "findings": [
              {"path": "src/App.cs", "line": 2, "severity": "nit", "body": "Unused using, @octocat.", "suggestion": ""},
              {"path": "src/App.cs", "line": 22, "severity": "bug", "body": "Empty body.", "suggestion": "    { Work(); }"},
              {"path": "src/App.cs", "line": 10, "severity": "risk", "body": "Outside."},
              {"path": "assets/logo.png", "line": 1, "severity": "risk", "body": "Binary."}
            ]}
            """)!;

        var checkedReview = ReviewChecker.Check(answer, selection.Diff, new HashSet<FindingAnchor>());
        var created = await api.CreateReviewAsync(7, checkedReview.ToDraft(Head1), CancellationToken.None);

        var review = standIn.ReviewsOf(7).Single();
        Assert.That(created.Id, Is.EqualTo(review["id"]!.GetValue<long>()));
        Assert.That(review["event_received"]!.GetValue<string>(), Is.EqualTo(PullRequestApi.ReviewEvent).And.EqualTo("COMMENT"));
        Assert.That(review["commit_id"]!.GetValue<string>(), Is.EqualTo(Head1));
        Assert.That(review["body"]!.GetValue<string>(), Does.Contain("**Outside the diff**").And.Contain("Binary."));
        var comments = standIn.ReviewCommentsOf(7);
        Assert.That(comments.Select(c => (c["path"]!.GetValue<string>(), c["line"]!.GetValue<int>())), Is.EqualTo(new[] { ("src/App.cs", 2), ("src/App.cs", 22) }));
        Assert.That(comments[0]["body"]!.GetValue<string>(), Does.Contain("`@octocat`"));
        Assert.That(comments[1]["body"]!.GetValue<string>(), Does.EndWith("```suggestion\n    { Work(); }\n```"));
        var sent = JsonDocument.Parse(gitHub.Seen.Single(r => r.Method == "POST").Body).RootElement;
        Assert.That(sent.GetProperty("comments").EnumerateArray().Select(c => c.GetProperty("side").GetString()), Is.All.EqualTo("RIGHT"));
    }

    [Test]
    public async Task A_second_review_after_a_push_does_not_repeat_earlier_findings()
    {
        var first = ReviewChecker.Check(
            new ReviewAnswer("First.", [new ReviewFinding("src/App.cs", 22, FindingSeverity.Bug, "Empty body.", null)]),
            ReviewFileSelector.Select(await api.ListFilesAsync(7, CancellationToken.None), PathFilter.None, ReviewBudget.Default).Diff,
            new HashSet<FindingAnchor>());
        await api.CreateReviewAsync(7, first.ToDraft(Head1), CancellationToken.None);
        standIn.Push(7, Head2, [("src/App.cs", "modified", AppPatch), ("src/Util.cs", "added", "@@ -0,0 +1,3 @@\n+static class Util\n+// new\n+{}")]);
        standIn.AddComparison(Head1, Head2, "ahead", [("src/Util.cs", "modified", "@@ -1,2 +1,3 @@\n static class Util\n+// new\n {}")]);

        var reviews = await api.ListReviewsAsync(7, CancellationToken.None);
        var lastReviewed = reviews.Where(r => r.AuthorType == "Bot").Select(r => ReviewMarkers.ReviewedSha(r.Body)).OfType<string>().Last();
        var comparison = await api.CompareAsync(lastReviewed, Head2, CancellationToken.None);
        var posted = ReviewChecker.PostedAnchors(await api.ListReviewCommentsAsync(7, CancellationToken.None), c => c.AuthorType == "Bot");
        var diff = new Dictionary<string, FilePatch>
        {
            ["src/App.cs"] = FilePatch.Parse(AppPatch),
            ["src/Util.cs"] = FilePatch.Parse(comparison.Files.Single().Patch),
        };
        var second = ReviewChecker.Check(new ReviewAnswer("Second.",
        [
            new ReviewFinding("src/App.cs", 22, FindingSeverity.Bug, "Empty body, again.", null),
            new ReviewFinding("src/Util.cs", 2, FindingSeverity.Nit, "Comment says nothing.", null),
        ]), diff, posted);
        await api.CreateReviewAsync(7, second.ToDraft(Head2), CancellationToken.None);

        Assert.That(lastReviewed, Is.EqualTo(Head1));
        Assert.That(comparison.IsIncremental, Is.True);
        Assert.That(standIn.ReviewsOf(7), Has.Count.EqualTo(2));
        Assert.That(standIn.ReviewCommentsOf(7).Select(c => (c["path"]!.GetValue<string>(), c["line"]!.GetValue<int>())),
            Is.EqualTo(new[] { ("src/App.cs", 22), ("src/Util.cs", 2) }), "the finding at src/App.cs:22 was posted once");
        Assert.That(second.Repeated.Single().Line, Is.EqualTo(22));
    }
}
