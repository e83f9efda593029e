using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Runner.Core.Llm;
using Runner.Hosting;

namespace Runner.Tests.Llm;

public sealed class LlmOptionsTests
{
    [Test]
    public void Defaults_match_the_documented_values()
    {
        var options = Resolve(new() { ["OLLAMA_API_KEY"] = "k" });

        Assert.Multiple(() =>
        {
            Assert.That(options.ApiUrl, Is.EqualTo("https://ollama.com/api"));
            Assert.That(options.Model, Is.EqualTo("glm-4.6"));
            Assert.That(options.Temperature, Is.EqualTo(0.1));
            Assert.That(options.Timeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(options.MaxDuration, Is.EqualTo(TimeSpan.FromMinutes(10)));
            Assert.That(options.MaxAttempts, Is.EqualTo(5));
            Assert.That(options.MinInterval, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
            Assert.That(options.RatePerMinute, Is.Zero);
            Assert.That(options.EffectiveBurst, Is.EqualTo(1));
        });
    }

    [Test]
    public void Variables_are_read_from_their_environment_names_and_durations_as_operators_write_them()
    {
        var options = Resolve(new()
        {
            ["OLLAMA_API_KEY"] = "k",
            ["OLLAMA_API_URL"] = "http://localhost:11434/v1",
            ["OLLAMA_MODEL"] = "qwen3:8b",
            ["OLLAMA_API_FORMAT"] = "openai",
            ["LLM_TEMPERATURE"] = "0.7",
            ["LLM_TIMEOUT"] = "45",
            ["LLM_MAX_DURATION"] = "2m",
            ["LLM_MAX_ATTEMPTS"] = "3",
            ["LLM_MIN_INTERVAL"] = "250ms",
            ["LLM_RATE"] = "120",
            ["LLM_BURST"] = "4",
        });

        Assert.Multiple(() =>
        {
            Assert.That(options.ApiUrl, Is.EqualTo("http://localhost:11434/v1"));
            Assert.That(options.Model, Is.EqualTo("qwen3:8b"));
            Assert.That(options.ApiFormat, Is.EqualTo("openai"));
            Assert.That(options.Temperature, Is.EqualTo(0.7));
            Assert.That(options.Timeout, Is.EqualTo(TimeSpan.FromSeconds(45)), "45 means seconds, not days");
            Assert.That(options.MaxDuration, Is.EqualTo(TimeSpan.FromMinutes(2)));
            Assert.That(options.MaxAttempts, Is.EqualTo(3));
            Assert.That(options.MinInterval, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(options.RatePerMinute, Is.EqualTo(120));
            Assert.That(options.EffectiveBurst, Is.EqualTo(4));
        });
    }

    [TestCase("https://ollama.com/api", LlmApiFormat.Native, "https://ollama.com/api/chat", "https://ollama.com/api/tags")]
    [TestCase("http://localhost:11434/api/", LlmApiFormat.Native, "http://localhost:11434/api/chat", "http://localhost:11434/api/tags")]
    [TestCase("https://ollama.com/v1", LlmApiFormat.OpenAi, "https://ollama.com/v1/chat/completions", "https://ollama.com/v1/models")]
    [TestCase("http://gateway.internal/llm/v1", LlmApiFormat.OpenAi, "http://gateway.internal/llm/v1/chat/completions", "http://gateway.internal/llm/v1/models")]
    public void The_url_suffix_selects_the_format_and_endpoints(string url, LlmApiFormat format, string chat, string models)
    {
        Assert.That(LlmEndpoint.TryCreate(url, null, out var endpoint, out var error), Is.True, error);

        Assert.That(endpoint.Format, Is.EqualTo(format));
        Assert.That(endpoint.ChatUri.ToString(), Is.EqualTo(chat));
        Assert.That(endpoint.ModelsUri.ToString(), Is.EqualTo(models));
    }

    [TestCase("http://proxy.internal/ollama", "native", LlmApiFormat.Native, "http://proxy.internal/ollama/chat")]
    [TestCase("http://proxy.internal/ollama", "openai", LlmApiFormat.OpenAi, "http://proxy.internal/ollama/chat/completions")]
    [TestCase("https://ollama.com/api", "OpenAI", LlmApiFormat.OpenAi, "https://ollama.com/api/chat/completions")]
    public void OLLAMA_API_FORMAT_overrides_the_guess(string url, string format, LlmApiFormat expected, string chat)
    {
        Assert.That(LlmEndpoint.TryCreate(url, format, out var endpoint, out var error), Is.True, error);

        Assert.That(endpoint.Format, Is.EqualTo(expected));
        Assert.That(endpoint.ChatUri.ToString(), Is.EqualTo(chat));
    }

    [TestCase("https://ollama.com/api/chat/completions", null, "OLLAMA_API_URL must be the API base")]
    [TestCase("https://ollama.com/api/chat", null, "OLLAMA_API_URL must be the API base")]
    [TestCase("https://ollama.com/", null, "OLLAMA_API_URL does not end in /api")]
    [TestCase("ftp://ollama.com/api", null, "OLLAMA_API_URL must be an absolute http(s) URL")]
    [TestCase("not a url", null, "OLLAMA_API_URL must be an absolute http(s) URL")]
    [TestCase("https://ollama.com/api", "grpc", "OLLAMA_API_FORMAT must be native or openai")]
    public void Wrong_urls_and_formats_are_explained(string url, string? format, string message)
    {
        Assert.That(LlmEndpoint.TryCreate(url, format, out _, out var error), Is.False);
        Assert.That(error, Does.StartWith(message));
    }

    [Test]
    public void A_missing_key_is_one_configuration_line_naming_the_variable()
    {
        using var services = Build(new() { ["OLLAMA_API_URL"] = "https://ollama.com/api" });

        Assert.That(RunnerHost.TryValidateConfiguration(services, out var error), Is.False);
        Assert.That(error, Does.StartWith("OLLAMA_API_KEY is required"));
        Assert.That(error, Does.Not.Contain("\n"));
    }

    [Test]
    public void Validation_errors_never_repeat_the_key_or_a_url_with_credentials()
    {
        using var services = Build(new()
        {
            ["OLLAMA_API_KEY"] = "sk-very-secret",
            ["OLLAMA_API_URL"] = "https://user:hunter2@ollama.example/chat",
            ["LLM_TEMPERATURE"] = "5",
            ["LLM_MAX_ATTEMPTS"] = "0",
            ["LLM_TIMEOUT"] = "0",
            ["LLM_RATE"] = "-1",
        });

        Assert.That(RunnerHost.TryValidateConfiguration(services, out var error), Is.False);
        Assert.Multiple(() =>
        {
            Assert.That(error, Does.Contain("OLLAMA_API_URL").And.Contain("LLM_TEMPERATURE").And.Contain("LLM_MAX_ATTEMPTS")
                .And.Contain("LLM_TIMEOUT").And.Contain("LLM_RATE"));
            Assert.That(error, Does.Not.Contain("hunter2").And.Not.Contain("sk-very-secret"));
        });
    }

    [Test]
    public void A_duration_that_is_not_one_names_the_variable()
    {
        using var services = Build(new() { ["OLLAMA_API_KEY"] = "k", ["LLM_TIMEOUT"] = "soon" });

        Assert.That(RunnerHost.TryValidateConfiguration(services, out var error), Is.False);
        Assert.That(error, Does.StartWith("LLM_TIMEOUT must be a duration"));
    }

    private static LlmOptions Resolve(Dictionary<string, string?> settings)
    {
        using var services = Build(settings);
        Assert.That(RunnerHost.TryValidateConfiguration(services, out var error), Is.True, error);
        return services.GetRequiredService<IOptions<LlmOptions>>().Value;
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddRunnerLlm(configuration).BuildServiceProvider();
    }
}
