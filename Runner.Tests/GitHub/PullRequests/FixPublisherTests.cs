using Octokit;
using Runner.Core.Agent.Fix;
using Runner.Core.GitHub;
using Runner.Core.GitHub.PullRequests;
using Runner.Sandbox;

namespace Runner.Tests.GitHub.PullRequests;

/// <summary>Issue → draft pull request through the Git Data API, against the GitHub stand-in's <see cref="PullRequestStandIn"/> on loopback.</summary>
[TestFixture]
public sealed class FixPublisherTests
{
    private ScriptedGitHub gitHub = null!;
    private PullRequestStandIn standIn = null!;
    private GitDataApi git = null!;
    private FixPublisher publisher = null!;
    private string mainSha = null!;

    [SetUp]
    public async Task StartAsync()
    {
        gitHub = await ScriptedGitHub.StartAsync();
        standIn = gitHub.Repository("octo-org", "hello").PullRequests;
        var client = new GitHubClient(new ProductHeaderValue("runner-tests"), gitHub.Root) { Credentials = new Credentials("test-token") };
        git = new GitDataApi(client, new RepositoryRef("octo-org", "hello"));
        publisher = new FixPublisher(git);
        mainSha = standIn.SeedBranch("main",
            new Dictionary<string, string>
            {
                ["src/App.cs"] = "class App {}\n", ["README.md"] = "# hello\n", [".github/workflows/ci.yml"] = "on: push\n", ["build.sh"] = "#!/bin/sh\n",
            },
            symlinks: ["docs/link"], submodules: ["libs/upstream"], executables: ["build.sh"]);
    }

    [TearDown]
    public async Task StopAsync() => await gitHub.DisposeAsync();

    private async Task<FixChangeSet> ChangeSetAsync()
    {
        var (entries, _) = await git.GetTreeRecursiveAsync(mainSha, CancellationToken.None);
        return new FixChangeSet(new RepositoryPaths(entries), 20, 1024 * 1024);
    }

    [Test]
    public async Task The_tree_tells_symlinks_and_submodules_so_writes_through_them_are_refused()
    {
        var changes = await ChangeSetAsync();

        Assert.That(changes.Write("docs/link/x.md", "x").Rule, Is.EqualTo(FixRule.Symlink));
        Assert.That(changes.Write("libs/upstream/a.c", "x").Rule, Is.EqualTo(FixRule.Submodule));
        Assert.That(changes.Delete("README.md").Accepted, Is.True, "README.md is a file of the tree");
    }

    [Test]
    public async Task A_fix_opens_one_draft_pull_request_from_its_branch_and_a_second_fix_updates_both()
    {
        var changes = await ChangeSetAsync();
        changes.Write("src/App.cs", "class App { void Run() {} }\n");
        changes.Write("build.sh", "#!/bin/sh\nmake\n");
        changes.Delete("README.md");

        var first = await publisher.PublishAsync("main", 12, changes, new FixAnswer("Add Run", "Adds Run, as @octocat asked."), CancellationToken.None);

        var branchSha = standIn.BranchSha("runner/issue-12");
        Assert.That(first.PullRequest, Is.Not.Null);
        Assert.That((first.Updated, first.CommitSha), Is.EqualTo((false, branchSha)));
        Assert.That(standIn.CommitParents(branchSha!), Is.EqualTo(new[] { mainSha }), "the commit sits on the default branch's head");
        Assert.That(standIn.FilesAt(branchSha!), Is.EquivalentTo(new Dictionary<string, string>
        {
            ["src/App.cs"] = "class App { void Run() {} }\n", [".github/workflows/ci.yml"] = "on: push\n", ["build.sh"] = "#!/bin/sh\nmake\n",
        }));
        Assert.That((standIn.ModeAt(branchSha!, "build.sh"), standIn.ModeAt(branchSha!, "src/App.cs")), Is.EqualTo(("100755", "100644")),
            "an executable script stays executable");
        Assert.That(standIn.BranchSha("main"), Is.EqualTo(mainSha), "the default branch is never written");
        var pull = standIn.PullRequests.Single();
        Assert.That(pull["draft"]!.GetValue<bool>(), Is.True);
        Assert.That(pull["head"]!["ref"]!.GetValue<string>(), Is.EqualTo("runner/issue-12"));
        Assert.That(pull["base"]!["ref"]!.GetValue<string>(), Is.EqualTo("main"));
        Assert.That(pull["body"]!.GetValue<string>(), Does.Contain("Fixes #12").And.Contain("`@octocat`"));

        var again = await ChangeSetAsync();
        again.Write("src/App.cs", "class App { void Run() { } }\n");
        var second = await publisher.PublishAsync("main", 12, again, new FixAnswer("Add Run (v2)", "Second try."), CancellationToken.None);

        Assert.That(second.Updated, Is.True);
        Assert.That(second.PullRequest!.Number, Is.EqualTo(first.PullRequest!.Number), "the same pull request, never a second one");
        Assert.That(standIn.PullRequests, Has.Count.EqualTo(1));
        Assert.That(standIn.PullRequests.Single()["title"]!.GetValue<string>(), Is.EqualTo("Add Run (v2)"));
        Assert.That(standIn.BranchSha("runner/issue-12"), Is.Not.EqualTo(branchSha));
        Assert.That(standIn.FilesAt(standIn.BranchSha("runner/issue-12")!)["README.md"], Is.EqualTo("# hello\n"),
            "the branch was force-updated to a commit on main's head, not stacked on the first fix");
    }

    [Test]
    public async Task An_empty_change_set_opens_nothing()
    {
        var result = await publisher.PublishAsync("main", 12, await ChangeSetAsync(), new FixAnswer("Nothing", ""), CancellationToken.None);

        Assert.That((result.PullRequest, result.NotOpened), Is.EqualTo(((PullRequestRef?)null, "the change set is empty: the run wrote no files")));
        Assert.That(standIn.BranchSha("runner/issue-12"), Is.Null);
        Assert.That(gitHub.Seen.Where(r => r.Method != "GET"), Is.Empty, "no write reached GitHub");
    }

    [Test]
    public async Task A_runner_branch_whose_head_someone_else_committed_is_not_overwritten()
    {
        var human = standIn.SeedBranch("runner/issue-12", new Dictionary<string, string> { ["src/App.cs"] = "human work\n" }, "Fix it by hand", parent: mainSha);
        var changes = await ChangeSetAsync();
        changes.Write("src/App.cs", "runner work\n");

        var result = await publisher.PublishAsync("main", 12, changes, new FixAnswer("Fix", ""), CancellationToken.None);

        Assert.That(result.PullRequest, Is.Null);
        Assert.That(result.NotOpened, Does.Contain("was not made by Runner"));
        Assert.That(standIn.BranchSha("runner/issue-12"), Is.EqualTo(human));
        Assert.That(gitHub.Seen.Where(r => r.Method != "GET"), Is.Empty);
    }

    [TestCase("main")]
    [TestCase("runner/issue-12")]
    public void Only_runner_branches_other_than_the_default_branch_may_be_written(string defaultBranch)
    {
        Assert.That(FixPublisher.RefuseBranch("runner/issue-12", defaultBranch),
            defaultBranch == "main" ? Is.Null : Is.EqualTo("Runner never writes to the default branch"));
        Assert.That(FixPublisher.RefuseBranch("feature/x", defaultBranch), Is.EqualTo("Runner only writes to branches under runner/"));
        Assert.That(FixPublisher.RefuseBranch("runner/../main", defaultBranch), Is.EqualTo("Runner only writes to branches under runner/"));
    }

    [Test]
    public async Task A_default_branch_named_like_runners_branch_is_never_written()
    {
        var sha = standIn.SeedBranch("runner/issue-12", new Dictionary<string, string> { ["a.txt"] = "a\n" }, $"x\n\n{FixPublisher.Trailer(12)}");
        var (entries, _) = await git.GetTreeRecursiveAsync(sha, CancellationToken.None);
        var changes = new FixChangeSet(new RepositoryPaths(entries), 20, 1024);
        changes.Write("a.txt", "b\n");

        var result = await publisher.PublishAsync("runner/issue-12", 12, changes, new FixAnswer("Fix", ""), CancellationToken.None);

        Assert.That(result.NotOpened, Is.EqualTo("Runner never writes to the default branch"));
        Assert.That(standIn.BranchSha("runner/issue-12"), Is.EqualTo(sha));
    }
}
