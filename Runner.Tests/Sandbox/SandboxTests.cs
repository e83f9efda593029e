using Microsoft.Extensions.Configuration;

namespace Runner.Tests.Sandbox;

/// <summary>
/// The sandbox runs the production worker end to end: queue on a real redis-server, the GitHub App client (JWT,
/// token exchange) and the LLM client over loopback, and the agent. Only GitHub and the model are stand-ins.
/// </summary>
public sealed class SandboxTests
{
    [Test]
    public async Task Sandbox_answers_the_demo_issue_with_one_triage_comment_through_the_real_worker()
    {
        // An empty environment: the sandbox must not pick up a real OLLAMA_API_KEY or REDIS_URL of the machine.
        var environment = new ConfigurationBuilder().Build();
        await using var output = new StringWriter();

        var exitCode = await Runner.Sandbox.SandboxRun.RunAsync(environment, TimeSpan.FromSeconds(60), output, CancellationToken.None);

        var text = output.ToString();
        Assert.That(exitCode, Is.Zero, text);
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("sandbox: outcome: Completed"));
            Assert.That(text, Does.Contain("<!-- runner:triage delivery:"));
            Assert.That(text, Does.Contain("**Suggested labels:** `bug`"));
            Assert.That(text, Does.Contain("#7 [App crashes when the settings file does not exist]"));
            Assert.That(text, Does.Contain("model `sandbox-demo-model`"));
            Assert.That(text, Does.Contain("reactions: eyes on issue:12"));
            Assert.That(text.Split("----- comment by").Length - 1, Is.EqualTo(1), "exactly one comment");
        });
    }

    [Test]
    public async Task Sandbox_review_demo_posts_one_review_with_an_inline_comment_through_the_real_worker()
    {
        await using var output = new StringWriter();

        var exitCode = await Runner.Sandbox.SandboxRun.RunAsync(new ConfigurationBuilder().Build(), TimeSpan.FromSeconds(60), output,
            CancellationToken.None, Runner.Sandbox.SandboxDemo.Review);

        var text = output.ToString();
        Assert.That(exitCode, Is.Zero, text);
        Assert.That(text, Does.Contain("----- review (COMMENT) on octo-demo/hello-runner#14"));
        Assert.That(text, Does.Contain("----- inline comment on src/main.py line 4 (side RIGHT)"));
        Assert.That(text, Does.Contain("```suggestion\ngreeting = os.environ.get(\"GREETING\")\n```"));
        Assert.That(text, Does.Contain("**Outside the diff**"));
        Assert.That(text, Does.Contain("<!-- runner:review delivery:"));
    }

    [Test]
    public async Task Sandbox_fix_demo_opens_a_draft_pull_request_through_the_real_worker()
    {
        await using var output = new StringWriter();

        var exitCode = await Runner.Sandbox.SandboxRun.RunAsync(new ConfigurationBuilder().Build(), TimeSpan.FromSeconds(60), output,
            CancellationToken.None, Runner.Sandbox.SandboxDemo.Fix);

        var text = output.ToString();
        Assert.That(exitCode, Is.Zero, text);
        Assert.That(text, Does.Contain("(draft) runner/issue-12 → main"));
        Assert.That(text, Does.Contain("if not os.path.exists(path):"));
        Assert.That(text, Does.Contain("Opened the draft pull request #"));
    }
}
