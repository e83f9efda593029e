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
}
