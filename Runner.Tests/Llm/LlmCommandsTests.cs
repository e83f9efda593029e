using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Runner.Cli;

namespace Runner.Tests.Llm;

/// <summary><c>runner llm ping</c> and <c>runner llm models</c>, invoked in-process against the stand-in Server.</summary>
public sealed class LlmCommandsTests : FakeLlmServerFixture
{
    [TestCase(Dialect.Native)]
    [TestCase(Dialect.OpenAi)]
    public async Task Ping_sends_one_tiny_chat_and_prints_model_latency_and_tokens(Dialect dialect)
    {
        Server.Then(Replies.Text("pong", promptTokens: 21, completionTokens: 2));

        var (exit, output, error) = await RunAsync(Settings(Server.UrlFor(dialect)), "llm", "ping");

        Assert.That(exit, Is.Zero, error);
        Assert.Multiple(() =>
        {
            Assert.That(output, Does.Contain("model:   glm-4.6"));
            Assert.That(output, Does.Match(@"latency: \d+ ms"));
            Assert.That(output, Does.Contain("tokens:  21 prompt + 2 completion = 23"));
            Assert.That(output, Does.Contain("reply:   pong"));
            Assert.That(Server.ChatRequests, Has.Count.EqualTo(1));
            Assert.That(Server.ChatRequests[0].Body.GetProperty("messages").GetArrayLength(), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Ping_with_a_refused_key_fails_in_one_line_that_points_at_the_variable()
    {
        Server.Then(Replies.Error(401, "unauthorized"));

        var (exit, output, error) = await RunAsync(Settings(Server.NativeUrl), "llm", "ping");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error.Trim(), Does.StartWith("runner: llm ping failed:").And.Contain("check OLLAMA_API_KEY"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(output + error, Does.Not.Contain(LlmHarness.ApiKey));
    }

    [Test]
    public async Task Ping_without_a_key_is_a_configuration_error()
    {
        var settings = Settings(Server.NativeUrl);
        settings.Remove("OLLAMA_API_KEY");

        var (exit, _, error) = await RunAsync(settings, "llm", "ping");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.StartWith("runner: configuration error: OLLAMA_API_KEY is required"));
        Assert.That(Server.Requests, Is.Empty);
    }

    [TestCase(Dialect.Native, "/api/tags")]
    [TestCase(Dialect.OpenAi, "/v1/models")]
    public async Task Models_lists_what_the_server_offers(Dialect dialect, string path)
    {
        Server.Models = Replies.ModelList("qwen3:8b", "glm-4.6", "gpt-oss:120b");

        var (exit, output, error) = await RunAsync(Settings(Server.UrlFor(dialect)), "llm", "models");

        Assert.That(exit, Is.Zero, error);
        Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Is.EqualTo(new[] { "glm-4.6", "gpt-oss:120b", "qwen3:8b" }));
        Assert.That(error, Is.Empty, "the configured model is in the list");
        Assert.That(Server.Requests.Single().Path, Is.EqualTo(path));
        Assert.That(Server.Requests.Single().Authorization, Is.EqualTo($"Bearer {LlmHarness.ApiKey}"));
    }

    [Test]
    public async Task Models_says_when_the_configured_model_is_not_offered()
    {
        Server.Models = Replies.ModelList("qwen3:8b");
        var settings = Settings(Server.NativeUrl);
        settings["OLLAMA_MODEL"] = "glm-4.5";

        var (exit, output, error) = await RunAsync(settings, "llm", "models");

        Assert.That(exit, Is.Zero);
        Assert.That(output.Trim(), Is.EqualTo("qwen3:8b"));
        Assert.That(error, Does.Contain("OLLAMA_MODEL 'glm-4.5' is not among the 1 model(s)"));
    }

    [Test]
    public async Task Models_against_a_failing_server_exits_1_with_the_reason()
    {
        Server.Models = Replies.Error(401, "invalid api key");

        var (exit, _, error) = await RunAsync(Settings(Server.NativeUrl), "llm", "models");

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(error, Does.StartWith("runner: llm models failed:").And.Contain("401").And.Contain("check OLLAMA_API_KEY"));
    }

    private static Dictionary<string, string?> Settings(string url) => new()
    {
        ["OLLAMA_API_KEY"] = LlmHarness.ApiKey,
        ["OLLAMA_API_URL"] = url,
    };

    private static async Task<(int Exit, string Output, string Error)> RunAsync(Dictionary<string, string?> settings, params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(LlmCommands.Create(() =>
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Configuration.AddInMemoryCollection(settings);
            return builder;
        }));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
