using System.Text.Json;
using Runner.Core.Agent.Fix;
using Runner.Core.Agent.Loop;
using Runner.Core.GitHub.PullRequests;
using Runner.Core.Llm;

namespace Runner.Tests.Agent.Fix;

/// <summary>Each safety rule of a fix's change set: the forbidden write is refused with the rule's name, the allowed one next to it passes.</summary>
[TestFixture]
public sealed class FixChangeSetTests
{
    internal static RepositoryPaths Repository { get; } = new(
    [
        new GitTreeEntry("src/App.cs", "100644", "blob", "a1"),
        new GitTreeEntry("README.md", "100644", "blob", "a2"),
        new GitTreeEntry(".github/workflows/ci.yml", "100644", "blob", "a3"),
        new GitTreeEntry("docs/link", "120000", "blob", "a4"),
        new GitTreeEntry("libs/upstream", "160000", "commit", "a5"),
        new GitTreeEntry("src", "040000", "tree", "a6"),
    ]);

    private static FixChangeSet NewChangeSet(int maxFiles = 20, long maxBytes = 1024 * 1024) => new(Repository, maxFiles, maxBytes);

    [Test]
    public void Ordinary_writes_and_deletes_are_collected()
    {
        var changes = NewChangeSet();

        Assert.That(changes.Write("src/App.cs", "new").Accepted, Is.True);
        Assert.That(changes.Write("./src/New.cs", "created").Accepted, Is.True);
        Assert.That(changes.Delete("README.md").Accepted, Is.True);

        Assert.That(changes.Changes, Is.EqualTo(new[]
        {
            new GitFileChange("src/App.cs", "new"), new GitFileChange("src/New.cs", "created"), new GitFileChange("README.md", null),
        }));
    }

    [TestCase(".github/workflows/ci.yml", FixRule.Workflows)]
    [TestCase(".github/workflows/new.yml", FixRule.Workflows)]
    [TestCase(".GitHub/Workflows/evil.yml", FixRule.Workflows)]
    [TestCase("./.github//workflows/x.yml", FixRule.Workflows)]
    [TestCase("../outside.txt", FixRule.ParentSegment)]
    [TestCase("src/../../etc/passwd", FixRule.ParentSegment)]
    [TestCase("/etc/passwd", FixRule.AbsolutePath)]
    [TestCase("C:/Windows/x", FixRule.AbsolutePath)]
    [TestCase("src\\App.cs", FixRule.InvalidPath)]
    [TestCase("", FixRule.InvalidPath)]
    [TestCase("src/", FixRule.InvalidPath)]
    [TestCase(".git/config", FixRule.GitFolder)]
    [TestCase("docs/link", FixRule.Symlink)]
    [TestCase("docs/link/inside.md", FixRule.Symlink)]
    [TestCase("libs/upstream", FixRule.Submodule)]
    [TestCase("libs/upstream/src/a.c", FixRule.Submodule)]
    public void Forbidden_paths_are_refused_naming_the_rule(string path, FixRule rule)
    {
        var changes = NewChangeSet();

        var written = changes.Write(path, "x");
        var deleted = changes.Delete(path);

        Assert.That((written.Accepted, written.Rule), Is.EqualTo((false, (FixRule?)rule)));
        Assert.That((deleted.Accepted, deleted.Rule), Is.EqualTo((false, (FixRule?)rule)));
        Assert.That(written.Message, Does.StartWith($"Error: refused by rule '{FixWriteResult.RuleName(rule)}'"));
        Assert.That(changes.IsEmpty, Is.True);
    }

    [Test]
    public void The_file_budget_counts_distinct_files_and_rewrites_are_free()
    {
        var changes = NewChangeSet(maxFiles: 2);

        Assert.That(changes.Write("a.txt", "1").Accepted, Is.True);
        Assert.That(changes.Write("b.txt", "2").Accepted, Is.True);
        Assert.That(changes.Write("a.txt", "1 again").Accepted, Is.True, "rewriting a file already in the set adds no file");
        var third = changes.Write("c.txt", "3");
        var delete = changes.Delete("README.md");

        Assert.That(third.Rule, Is.EqualTo(FixRule.MaxFiles));
        Assert.That(delete.Rule, Is.EqualTo(FixRule.MaxFiles));
        Assert.That(changes.Changes.Select(c => c.Path), Is.EqualTo(new[] { "a.txt", "b.txt" }));
    }

    [Test]
    public void The_byte_budget_counts_the_final_content_of_each_file()
    {
        var changes = NewChangeSet(maxBytes: 10);

        Assert.That(changes.Write("a.txt", "12345678").Accepted, Is.True);
        Assert.That(changes.Write("b.txt", "123").Rule, Is.EqualTo(FixRule.MaxBytes), "8 + 3 bytes is over 10");
        Assert.That(changes.Write("a.txt", "1234").Accepted, Is.True, "a rewrite replaces the file's bytes");
        Assert.That(changes.Write("b.txt", "123456").Accepted, Is.True);
        Assert.That(changes.Write("c.txt", "é").Rule, Is.EqualTo(FixRule.MaxBytes), "UTF-8 bytes, not characters");
        Assert.That(changes.BytesWritten, Is.EqualTo(10));
    }

    [Test]
    public void Deleting_needs_an_existing_file_and_deleting_a_new_file_drops_it()
    {
        var changes = NewChangeSet();

        Assert.That(changes.Delete("nope.txt").Rule, Is.EqualTo(FixRule.NotAFile));
        Assert.That(changes.Delete("src").Rule, Is.EqualTo(FixRule.NotAFile), "a folder is not a file");
        changes.Write("tmp.txt", "x");
        Assert.That(changes.Delete("tmp.txt").Accepted, Is.True);
        Assert.That(changes.IsEmpty, Is.True);
    }
}

[TestFixture]
public sealed class FixToolsTests
{
    private static ToolCall Call(string name, string arguments)
    {
        using var document = JsonDocument.Parse(arguments);
        return new ToolCall("1", name, document.RootElement.Clone());
    }

    [Test]
    public async Task A_refused_write_is_a_tool_error_and_the_run_goes_on()
    {
        var read = new RecordingReadTools();
        var tools = new FixTools(read, new FixChangeSet(FixChangeSetTests.Repository, 20, 1024 * 1024));

        var refused = await tools.ExecuteAsync(Call("write_file", """{"path": ".github/workflows/ci.yml", "content": "on: push"}"""), 4000, CancellationToken.None);
        var accepted = await tools.ExecuteAsync(Call("write_file", """{"path": "src/App.cs", "content": "fixed"}"""), 4000, CancellationToken.None);
        var deleted = await tools.ExecuteAsync(Call("delete_file", """{"path": "README.md"}"""), 4000, CancellationToken.None);
        var missingContent = await tools.ExecuteAsync(Call("write_file", """{"path": "a.txt"}"""), 4000, CancellationToken.None);
        var readResult = await tools.ExecuteAsync(Call("read_file", """{"path": "src/App.cs"}"""), 4000, CancellationToken.None);

        Assert.That(refused, Does.StartWith("Error: refused by rule 'no-workflows'"));
        Assert.That(accepted, Does.StartWith("Updated src/App.cs"));
        Assert.That(deleted, Does.StartWith("Deleted README.md"));
        Assert.That(missingContent, Does.StartWith("Error: write_file needs"));
        Assert.That(readResult, Is.EqualTo("read read_file"), "other tools go to the read tools");
        Assert.That(tools.Changes.Changes, Is.EqualTo(new[] { new GitFileChange("src/App.cs", "fixed"), new GitFileChange("README.md", null) }));
    }

    [Test]
    public void The_model_sees_the_read_tools_and_the_two_writing_tools()
    {
        var tools = new FixTools(new RecordingReadTools(), new FixChangeSet(FixChangeSetTests.Repository, 20, 1024));

        Assert.That(tools.Definitions.Select(d => d.Name), Is.EqualTo(new[] { "read_file", "write_file", "delete_file" }));
        Assert.That(tools.Describe(Call("write_file", """{"path": "src/`x`.cs", "content": ""}""")), Is.EqualTo("write_file src/x.cs"));
        Assert.That(tools.Describe(Call("read_file", "{}")), Is.EqualTo("described by read tools"));
    }

    private sealed class RecordingReadTools : IToolExecutor
    {
        public IReadOnlyList<ToolDefinition> Definitions { get; } =
            [new ToolDefinition("read_file", "read", JsonDocument.Parse("{}").RootElement.Clone())];

        public Task<string> ExecuteAsync(ToolCall call, int maxChars, CancellationToken cancellationToken) =>
            Task.FromResult($"read {call.Name}");

        public string Describe(ToolCall call) => "described by read tools";
    }
}

[TestFixture]
public sealed class FixAnswerParserTests
{
    [Test]
    public void Reads_title_and_body_from_a_fenced_answer()
    {
        var answer = FixAnswerParser.TryParse("Done.\n```json\n{\"title\": \"Handle a missing\\n config\", \"body\": \"Adds a check.\"}\n```\nThanks");

        Assert.That(answer, Is.EqualTo(new FixAnswer("Handle a missing config", "Adds a check.")));
    }

    [Test]
    public void No_title_is_no_answer()
    {
        Assert.That(FixAnswerParser.TryParse("{\"body\": \"only a body\"}"), Is.Null);
        Assert.That(FixAnswerParser.TryParse("I changed two files."), Is.Null);
    }
}
