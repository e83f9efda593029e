using Runner.Core.Agent.RepoConfig;
using Runner.Core.Agent.Tools;
using Runner.Core.GitHub;
using Runner.Core.Llm;
using Runner.Tests.Agent.Support;

namespace Runner.Tests.Agent;

public sealed class RepositoryConfigTests
{
    [Test]
    public async Task The_repositorys_config_adds_instructions_and_hides_ignored_paths_from_every_tool()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithFile(".github/runner.yml", """
            # Runner settings
            instructions: |
              Answer in one paragraph.
            ignore:
              - secrets/
              - "*.pem"
            """)
            .WithFile("secrets/prod.env", "API_KEY=ConfigLoader-secret-value")
            .WithFile("certs/server.pem", "-----BEGIN ConfigLoader-----");
        agent.Llm
            .CallTools(
                (RepositoryTools.ListFilesName, new { recursive = true }),
                (RepositoryTools.SearchCodeName, new { query = "ConfigLoader" }),
                (RepositoryTools.ReadFileName, new { path = "./secrets/../secrets/prod.env" }),
                (RepositoryTools.ReadFileName, new { path = "secrets/prod.env" }))
            .Reply("Done.");

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner ask where are secrets?"));

        var first = agent.Llm.Requests[0];
        Assert.That(AgentHarness.SystemText(first), Does.Contain("Instructions from the repository's maintainers").And.Contain("Answer in one paragraph."));
        var results = agent.Llm.Requests[1].Messages.Where(m => m.Role == ChatRole.Tool).Select(m => m.Content).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(results[0], Does.Contain("src/ConfigLoader.cs").And.Not.Contain("secrets/").And.Not.Contain("server.pem"));
            Assert.That(results[1], Does.Contain("src/ConfigLoader.cs:3").And.Not.Contain("secret-value").And.Not.Contain("BEGIN"));
            Assert.That(results[2], Is.EqualTo("Error: invalid path."));
            Assert.That(results[3], Does.StartWith("Error: secrets/prod.env is excluded by the repository's configuration"));
            Assert.That(string.Join("\n", results), Does.Not.Contain("secret-value"));
        });
    }

    [Test]
    public async Task Without_a_repository_config_the_owners_dot_github_repository_is_used()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.GitHub.Repository(AgentHarness.Owner, ".github").WithFile(".github/runner.yml", "triage: false\n");
        agent.Llm.ReplyJson(new { summary = "Asked for explicitly.", labels = new[] { "bug" } });

        await agent.RunAsync("issues", agent.IssueOpened(), delivery: "open-1");

        Assert.That(agent.Comments, Is.Empty, "the owner's config turned automatic triage off");
        Assert.That(agent.Repo.Reactions, Is.Empty);
        Assert.That(agent.Factory.Requests.Select(r => (r.Repository.FullName, r.Permissions)), Does.Contain(($"{AgentHarness.Owner}/.github", GitHubPermissions.ReadOnly)));

        await agent.RunAsync("issue_comment", agent.CommentCreated("/runner triage"), delivery: "cmd-1");
        Assert.That(agent.Comments.Single().Body, Does.Contain("Asked for explicitly."), "an explicit /runner triage still runs");
    }

    [Test]
    public async Task The_repositorys_own_config_wins_over_the_owners()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.GitHub.Repository(AgentHarness.Owner, ".github").WithFile(".github/runner.yml", "triage: false\n");
        agent.Repo.WithFile(".github/runner.yml", "triage: true\nlabels: apply\n");
        agent.Llm.ReplyJson(new { summary = "Triaged.", labels = new[] { "bug" } });

        await agent.RunAsync("issues", agent.IssueOpened());

        Assert.That(agent.Comments.Single().Body, Does.Contain("**Labels applied:** `bug`"));
        Assert.That(agent.Factory.Requests.Select(r => r.Repository.Name), Has.None.EqualTo(".github"));
    }

    [Test]
    public async Task An_unreachable_owner_repository_means_defaults_not_a_failure()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Factory.Unreachable.Add($"{AgentHarness.Owner}/.github");
        agent.Llm.ReplyJson(new { summary = "Defaults.", labels = new[] { "bug" } });

        await agent.RunAsync("issues", agent.IssueOpened());

        Assert.That(agent.Comments.Single().Body, Does.Contain("**Suggested labels:** `bug`").And.Not.Contain("[!WARNING]"));
    }

    [Test]
    public async Task Invalid_yaml_is_reported_in_the_comment_and_defaults_are_used()
    {
        await using var agent = await AgentHarness.StartAsync();
        agent.Repo.WithFile(".github/runner.yml", "labels: apply\ntriage: [yes\n");
        agent.Llm.ReplyJson(new { summary = "Still triaged.", labels = new[] { "bug" } });

        await agent.RunAsync("issues", agent.IssueOpened());

        var body = agent.Comments.Single().Body;
        Assert.That(body, Does.Contain($"`{agent.Repo.FullName}:.github/runner.yml` is invalid (line "));
        Assert.That(body, Does.Contain("so Runner used its defaults."));
        Assert.That(body, Does.Contain("**Suggested labels:** `bug`"), "defaults: labels are suggested, not applied");
        Assert.That(agent.Repo.IssueLabels, Is.Empty);
    }

    [TestCase("", true, "Suggest")]
    [TestCase("# nothing set\n", true, "Suggest")]
    [TestCase("triage: off\nlabels: APPLY\n", false, "Apply")]
    [TestCase("triage: yes\nignore: vendor/**\n", true, "Suggest")]
    public void Valid_files_are_read(string yaml, bool triage, string labels)
    {
        var (config, problem) = RepositoryConfigParser.Parse(yaml);

        Assert.That(problem, Is.Null);
        Assert.That(config.Triage, Is.EqualTo(triage));
        Assert.That(config.Labels.ToString(), Is.EqualTo(labels));
    }

    [TestCase("", true, false, true)]
    [TestCase("review: false\nfix: no\n", false, false, false)]
    [TestCase("review:\n  drafts: true\n", true, true, true)]
    [TestCase("review: {enabled: false, drafts: yes}\n", false, true, true)]
    public void Review_and_fix_keys_are_read(string yaml, bool review, bool drafts, bool fix)
    {
        var (config, problem) = RepositoryConfigParser.Parse(yaml);

        Assert.That(problem, Is.Null);
        Assert.That((config.Review, config.ReviewDrafts, config.Fix), Is.EqualTo((review, drafts, fix)));
    }

    [TestCase("trige: false\n", "line 1: unknown key 'trige' (expected triage, labels, instructions, ignore, review, fix)")]
    [TestCase("review:\n  draft: true\n", "line 2: unknown key 'review.draft' (expected enabled, drafts)")]
    [TestCase("fix: sometimes\n", "line 1: 'fix' must be true or false, not 'sometimes'")]
    [TestCase("labels: sometimes\n", "line 1: 'labels' must be apply or suggest, not 'sometimes'")]
    [TestCase("triage: true\ntriage2: maybe\n", "line 2: unknown key 'triage2'")]
    [TestCase("ignore:\n  a: b\n", "line 2: 'ignore' must be a list of paths")]
    [TestCase("- just\n- a list\n", "line 1: the file must be a mapping")]
    [TestCase("triage: [yes\n", "line 2:")]
    public void Mistakes_are_reported_with_their_line_and_defaults_are_used(string yaml, string expected)
    {
        var (config, problem) = RepositoryConfigParser.Parse(yaml);

        Assert.That(problem, Does.StartWith(expected));
        Assert.That(config, Is.EqualTo(RepositoryConfig.Default));
    }

    [TestCase("vendor/", "vendor/lib/a.js", true)]
    [TestCase("vendor/**", "vendor/a.js", true)]
    [TestCase("vendor", "src/vendor/a.js", true)]
    [TestCase("/vendor", "src/vendor/a.js", false)]
    [TestCase("*.min.js", "web/dist/app.min.js", true)]
    [TestCase("*.min.js", "web/app.js", false)]
    [TestCase("docs/**/*.md", "docs/a/b/c.md", true)]
    [TestCase("docs/**/*.md", "docs/c.md", true)]
    [TestCase("docs/*.md", "docs/a/c.md", false)]
    [TestCase("secret?.txt", "secret1.txt", true)]
    public void Ignore_patterns_work_like_gitignore(string pattern, string path, bool ignored) =>
        Assert.That(new PathFilter([pattern]).IsIgnored(path), Is.EqualTo(ignored));
}
