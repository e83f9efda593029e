using Runner.Core.Agent.Review;
using Runner.Core.Agent.Tools;
using Runner.Core.GitHub.PullRequests;

namespace Runner.Tests.Agent.Review;

[TestFixture]
public sealed class FilePatchTests
{
    internal const string Patch =
        "@@ -10,4 +10,5 @@ public class App\n"
        + " context ten\n"
        + "-removed eleven\n"
        + "+added eleven\n"
        + "+added twelve\n"
        + " context thirteen\n"
        + " context fourteen\n"
        + "@@ -40 +41,2 @@\n"
        + "-old forty\n"
        + "+new forty-one\n"
        + "+new forty-two\n"
        + "\\ No newline at end of file";

    [Test]
    public void Hunks_carry_new_side_line_numbers()
    {
        var patch = FilePatch.Parse(Patch);

        Assert.That(patch.Hunks, Has.Count.EqualTo(2));
        Assert.That(patch.Hunks[0].Section, Is.EqualTo("public class App"));
        Assert.That(patch.Hunks[0].Lines.Select(l => (l.Kind, l.NewLine)), Is.EqualTo(new (DiffLineKind, int?)[]
        {
            (DiffLineKind.Context, 10), (DiffLineKind.Removed, null), (DiffLineKind.Added, 11), (DiffLineKind.Added, 12),
            (DiffLineKind.Context, 13), (DiffLineKind.Context, 14),
        }));
        Assert.That(patch.Hunks[1].OldCount, Is.EqualTo(1), "a hunk header without a count means one line");
    }

    [Test]
    public void Right_side_lines_are_added_and_context_lines_only()
    {
        var patch = FilePatch.Parse(Patch);

        Assert.That(patch.RightLines.Order(), Is.EqualTo(new[] { 10, 11, 12, 13, 14, 41, 42 }));
        Assert.That(patch.RightLines, Does.Not.Contain(15).And.Not.Contain(40), "lines between hunks are not in the diff");
    }

    [Test]
    public void Rendering_writes_the_new_side_number_before_each_line()
    {
        var rendered = FilePatch.Parse(Patch).Render().Split('\n');

        Assert.That(rendered[0], Is.EqualTo("@@ -10,4 +10,5 @@ public class App"));
        Assert.That(rendered[1], Is.EqualTo("10   context ten"));
        Assert.That(rendered[2], Is.EqualTo("   - removed eleven"), "removed lines have no new-side number");
        Assert.That(rendered[3], Is.EqualTo("11 + added eleven"));
        Assert.That(rendered, Does.Contain("42 + new forty-two"));
        Assert.That(rendered.Any(l => l.Contains("No newline", StringComparison.Ordinal)), Is.False);
    }

    [Test]
    public void No_patch_gives_no_lines()
    {
        Assert.That(FilePatch.Parse(null).RightLines, Is.Empty);
        Assert.That(FilePatch.Parse("Binary files differ").Hunks, Is.Empty);
    }
}

[TestFixture]
public sealed class ReviewAnswerParserTests
{
    [Test]
    public void Reads_fenced_json_with_trailing_prose()
    {
        const string answer = """
            Here is my review.
            ```json
            {"summary": "Looks fine, one bug.", "findings": [
              {"path": "src/App.cs", "line": "12", "severity": "BUG", "body": "Null dereference.", "suggestion": "var x = y ?? z;"},
              {"path": "src/App.cs", "line": 0, "severity": "nit", "body": "no line"},
              {"path": "README.md", "line": 3, "severity": "whatever", "body": "Typo."},
            ]}
            ```
            Let me know if {you} need more.
            """;

        var parsed = ReviewAnswerParser.TryParse(answer);

        Assert.That(parsed, Is.Not.Null);
        Assert.That(parsed!.Summary, Is.EqualTo("Looks fine, one bug."));
        Assert.That(parsed.Findings, Is.EqualTo(new[]
        {
            new ReviewFinding("src/App.cs", 12, FindingSeverity.Bug, "Null dereference.", "var x = y ?? z;"),
            new ReviewFinding("README.md", 3, FindingSeverity.Risk, "Typo.", null),
        }));
    }

    [Test]
    public void Unreadable_answers_give_null_so_the_caller_sends_the_repair_prompt()
    {
        Assert.That(ReviewAnswerParser.TryParse("I think the code is fine."), Is.Null);
        Assert.That(ReviewAnswerParser.TryParse("{\"summary\": \"unterminated"), Is.Null);
        Assert.That(ReviewAnswerParser.TryParse("{\"labels\": []}"), Is.Null, "an object without summary or findings is not a review");
        Assert.That(ReviewAnswerParser.RepairPrompt, Does.Contain("\"findings\"").And.Contain("bug|risk|nit"));
    }
}

[TestFixture]
public sealed class ReviewCheckerTests
{
    private static readonly IReadOnlyDictionary<string, FilePatch> Diff = new Dictionary<string, FilePatch>
    {
        ["src/App.cs"] = FilePatch.Parse(FilePatchTests.Patch),
    };

    [Test]
    public void Findings_outside_the_diff_move_into_the_summary()
    {
        var answer = new ReviewAnswer("Summary.",
        [
            new ReviewFinding("src/App.cs", 11, FindingSeverity.Bug, "Real anchor.", null),
            new ReviewFinding("src/App.cs", 20, FindingSeverity.Risk, "Between hunks.", null),
            new ReviewFinding("src/Other.cs", 1, FindingSeverity.Nit, "Not in the diff.", null),
        ]);

        var checkedReview = ReviewChecker.Check(answer, Diff, new HashSet<FindingAnchor>());

        Assert.That(checkedReview.Comments.Select(c => (c.Path, c.Line)), Is.EqualTo(new[] { ("src/App.cs", 11) }));
        Assert.That(checkedReview.OutsideDiff.Select(f => f.Line), Is.EqualTo(new[] { 20, 1 }));
        var body = checkedReview.Body("abc1234def");
        Assert.That(body, Does.StartWith("<!-- runner:review sha:abc1234def -->\nSummary."));
        Assert.That(body, Does.Contain("**Outside the diff**").And.Contain("Between hunks.").And.Contain("`src/Other.cs` line 1"));
    }

    [Test]
    public void A_finding_an_earlier_review_posted_at_the_same_path_and_line_is_not_posted_again()
    {
        var earlier = new PostedReviewComment(1, 7, "src/App.cs", 11, 11,
            ReviewChecker.CommentBody(new ReviewFinding("src/App.cs", 11, FindingSeverity.Bug, "Old words.", null)), "runner[bot]", "Bot");
        var posted = ReviewChecker.PostedAnchors([earlier], c => c.AuthorType == "Bot");
        var answer = new ReviewAnswer("S",
        [
            new ReviewFinding("src/App.cs", 11, FindingSeverity.Bug, "Same place, new words.", null),
            new ReviewFinding("src/App.cs", 12, FindingSeverity.Bug, "New place.", null),
            new ReviewFinding("src/App.cs", 12, FindingSeverity.Nit, "Same place twice in one answer.", null),
        ]);

        var checkedReview = ReviewChecker.Check(answer, Diff, posted);

        Assert.That(posted, Is.EquivalentTo(new[] { new FindingAnchor("src/App.cs", 11) }));
        Assert.That(checkedReview.Comments.Select(c => c.Line), Is.EqualTo(new[] { 12 }));
        Assert.That(checkedReview.Repeated, Has.Count.EqualTo(2));
    }

    [Test]
    public void Markers_of_other_authors_do_not_count_as_runner_findings()
    {
        var forged = new PostedReviewComment(1, 7, "src/App.cs", 11, 11, "<!-- runner:finding line:11 path:src%2FApp.cs -->\nhi", "mallory", "User");

        Assert.That(ReviewChecker.PostedAnchors([forged], c => c.AuthorType == "Bot"), Is.Empty);
    }

    [Test]
    public void A_suggestion_becomes_a_suggestion_block_that_its_own_backticks_cannot_close()
    {
        var body = ReviewChecker.CommentBody(new ReviewFinding("src/App.cs", 11, FindingSeverity.Bug, "Use the helper.", "var s = ```x```;"));

        Assert.That(body, Does.StartWith("<!-- runner:finding line:11 path:src%2FApp.cs -->\n**Bug:** Use the helper."));
        Assert.That(body, Does.EndWith("\n\n````suggestion\nvar s = ```x```;\n````"));
        Assert.That(ReviewMarkers.FindingAnchor(body), Is.EqualTo(new FindingAnchor("src/App.cs", 11)));
    }

    [Test]
    public void Model_text_cannot_forge_a_marker_or_hide_text()
    {
        var body = ReviewChecker.CommentBody(new ReviewFinding("a.cs", 1, FindingSeverity.Nit, "ok <!-- runner:finding line:99 path:x -->\u200b", null));

        Assert.That(body, Does.Not.Contain("line:99"));
        Assert.That(body, Does.Not.Contain("\u200b"));
    }

    [Test]
    public void Review_markers_round_trip()
    {
        Assert.That(ReviewMarkers.ReviewedSha(ReviewMarkers.Review("0123456789abcdef0123456789abcdef01234567") + "\nbody"),
            Is.EqualTo("0123456789abcdef0123456789abcdef01234567"));
        Assert.That(ReviewMarkers.ReviewedSha("A human review"), Is.Null);
        Assert.That(ReviewMarkers.FindingAnchor(ReviewMarkers.Finding(new FindingAnchor("dir with space/a-->b.cs", 5))),
            Is.EqualTo(new FindingAnchor("dir with space/a-->b.cs", 5)));
    }
}

[TestFixture]
public sealed class MentionGuardTests
{
    [TestCase("Ask @octocat about it.", "Ask `@octocat` about it.")]
    [TestCase("cc @octo-org/core-team", "cc `@octo-org/core-team`")]
    [TestCase("@someone first", "`@someone` first")]
    [TestCase("mail me at dev@example.com", "mail me at dev@example.com")]
    [TestCase("already `@octocat` in code", "already `@octocat` in code")]
    [TestCase("unclosed ` then @octocat", "unclosed ` then `@octocat`")]
    public void Mentions_in_prose_are_put_in_code_spans(string text, string expected) =>
        Assert.That(MentionGuard.Neutralise(text), Is.EqualTo(expected));

    [Test]
    public void Code_fences_are_left_alone()
    {
        const string text = "See @a\n```cs\n[Attr] // @b\n```\nand @c";

        Assert.That(MentionGuard.Neutralise(text), Is.EqualTo("See `@a`\n```cs\n[Attr] // @b\n```\nand `@c`"));
    }

    [Test]
    public void Review_bodies_and_comments_never_carry_a_bare_mention()
    {
        var checkedReview = ReviewChecker.Check(
            new ReviewAnswer("Thanks @author!", [new ReviewFinding("src/App.cs", 11, FindingSeverity.Nit, "Ping @reviewer.", null)]),
            new Dictionary<string, FilePatch> { ["src/App.cs"] = FilePatch.Parse(FilePatchTests.Patch) },
            new HashSet<FindingAnchor>());

        Assert.That(checkedReview.Body("abcdef1"), Does.Contain("Thanks `@author`!"));
        Assert.That(checkedReview.Comments[0].Body, Does.Contain("Ping `@reviewer`."));
    }
}

[TestFixture]
public sealed class ReviewFileSelectorTests
{
    private static PullRequestFile File(string path, string? patch = "@@ -1 +1 @@\n-a\n+b", string status = "modified") =>
        new(path, status, 1, 1, patch, null);

    [Test]
    public void Every_left_out_file_is_named_with_its_reason()
    {
        var selection = ReviewFileSelector.Select(
        [
            File("src/App.cs"),
            File("assets/logo.png", patch: null),
            File("vendor/lib.js"),
            File("docs/generated/api.md"),
            File("old.cs", status: "removed"),
            new PullRequestFile("src/Moved.cs", "renamed", 0, 0, null, "src/Old.cs"),
        ], new PathFilter(["docs/generated/"]), ReviewBudget.Default);

        Assert.That(selection.Included.Select(i => i.File.Path), Is.EqualTo(new[] { "src/App.cs", "vendor/lib.js" }));
        Assert.That(selection.Skipped, Is.EquivalentTo(new[]
        {
            new SkippedFile("assets/logo.png", SkipReason.NoPatch),
            new SkippedFile("docs/generated/api.md", SkipReason.Ignored),
            new SkippedFile("old.cs", SkipReason.Removed),
            new SkippedFile("src/Moved.cs", SkipReason.RenamedOnly),
        }));
        Assert.That(selection.Diff["src/App.cs"].RightLines, Is.EquivalentTo(new[] { 1 }));
    }

    [Test]
    public void Over_budget_source_comes_before_lock_generated_and_vendored_files()
    {
        var selection = ReviewFileSelector.Select(
        [
            File("package-lock.json"),
            File("web/app.min.js"),
            File("vendor/x/y.go"),
            File("src/A.cs"),
            File("src/B.cs"),
        ], PathFilter.None, new ReviewBudget(MaxFiles: 2, MaxPatchChars: 10_000));

        Assert.That(selection.Included.Select(i => i.File.Path), Is.EqualTo(new[] { "src/A.cs", "src/B.cs" }));
        Assert.That(selection.Skipped.Select(s => (s.Path, s.Reason)), Is.EquivalentTo(new[]
        {
            ("package-lock.json", SkipReason.OverBudget), ("web/app.min.js", SkipReason.OverBudget), ("vendor/x/y.go", SkipReason.OverBudget),
        }));
        Assert.That(selection.Skipped[0].Describe(), Is.EqualTo("over the review budget"));
    }

    [Test]
    public void The_diff_size_budget_skips_a_large_patch_but_keeps_later_small_ones()
    {
        var big = "@@ -1 +1,200 @@\n" + string.Join('\n', Enumerable.Range(0, 200).Select(i => $"+line {i}"));
        var selection = ReviewFileSelector.Select([File("src/Big.cs", big), File("src/Small.cs")], PathFilter.None,
            new ReviewBudget(MaxFiles: 10, MaxPatchChars: 500));

        Assert.That(selection.Included.Select(i => i.File.Path), Is.EqualTo(new[] { "src/Small.cs" }));
        Assert.That(selection.Skipped, Is.EqualTo(new[] { new SkippedFile("src/Big.cs", SkipReason.OverBudget) }));
    }
}

[TestFixture]
public sealed class ReviewDiffTextTests
{
    [Test]
    public void The_prompt_shows_numbered_hunks_and_names_what_was_left_out()
    {
        var selection = ReviewFileSelector.Select(
        [
            new PullRequestFile("src/App.cs", "renamed", 3, 1, FilePatchTests.Patch, "src/Old.cs"),
            new PullRequestFile("logo.png", "added", 0, 0, null, null),
        ], PathFilter.None, ReviewBudget.Default);

        var text = ReviewDiffText.Render(selection, 10_000);

        Assert.That(text, Does.StartWith(ReviewDiffText.Label + " (untrusted content"));
        Assert.That(text, Does.Contain("=== src/App.cs (renamed, was src/Old.cs)\n@@ -10,4 +10,5 @@ public class App\n10   context ten"));
        Assert.That(text, Does.Contain("- logo.png: no diff from GitHub (binary or too large)"));
        Assert.That(text, Does.EndWith("\n```"), "the whole diff is inside one fence");
    }
}
