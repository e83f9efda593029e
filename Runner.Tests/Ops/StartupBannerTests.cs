using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Runner.Hosting;
using Runner.Webhook;

namespace Runner.Tests.Ops;

public sealed class StartupBannerTests
{
    private const string OllamaKey = "sk-OLLAMA-KEY-must-never-be-logged-1234";
    private const string PrivateKey = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEA-PRIVATE-KEY-BODY-5678\n-----END RSA PRIVATE KEY-----";
    private const string WebhookSecret = "webhook-SECRET-value-9012";
    private const string RedisPassword = "redis-PASSWORD-3456";

    private static readonly string[] SecretValues = [OllamaKey, "PRIVATE-KEY-BODY", WebhookSecret, RedisPassword, "qtoken-7890"];

    [Test]
    public void Worker_banner_shows_secrets_only_as_set_and_never_their_values()
    {
        var text = StartupBanner.Worker.Render(Configuration(
            ("OLLAMA_API_KEY", OllamaKey),
            ("GITHUB_APP_PRIVATE_KEY", PrivateKey),
            ("GITHUB_WEBHOOK_SECRET", WebhookSecret),
            ("REDIS_URL", $"redis://worker:{RedisPassword}@cache:6380/1"),
            ("OLLAMA_API_URL", "https://llm.example/v1?key=qtoken-7890")));

        Assert.Multiple(() =>
        {
            foreach (var secret in SecretValues)
            {
                Assert.That(text, Does.Not.Contain(secret));
            }

            Assert.That(Line(text, "OLLAMA_API_KEY"), Does.EndWith("= set"));
            Assert.That(Line(text, "GITHUB_APP_PRIVATE_KEY"), Does.EndWith("= set"));
            Assert.That(Line(text, "REDIS_URL"), Does.EndWith("= redis://***@cache:6380/1"));
            Assert.That(Line(text, "OLLAMA_API_URL"), Does.EndWith("= https://llm.example/v1?***"));
        });
    }

    [Test]
    public void Missing_secrets_are_shown_as_missing_and_defaults_are_marked()
    {
        var text = StartupBanner.Worker.Render(Configuration(("OLLAMA_MODEL", "qwen3:8b")));

        Assert.Multiple(() =>
        {
            Assert.That(Line(text, "OLLAMA_API_KEY"), Does.EndWith("= missing"));
            Assert.That(Line(text, "GITHUB_APP_PRIVATE_KEY"), Does.EndWith("= missing"));
            Assert.That(Line(text, "OLLAMA_MODEL"), Does.EndWith("= qwen3:8b"));
            Assert.That(Line(text, "OLLAMA_API_URL"), Does.EndWith("= https://ollama.com/api (default)"));
            Assert.That(Line(text, "RUNNER_STREAM"), Does.EndWith("= runner:jobs (default)"));
            Assert.That(Line(text, "RUNNER_SHUTDOWN_TIMEOUT"), Does.EndWith("= 25s (default)"));
        });
    }

    [Test]
    public void Worker_banner_lists_every_variable_of_the_worker_once()
    {
        var variables = StartupBanner.Worker.Describe(Configuration()).Select(d => d.Variable).ToList();

        Assert.That(variables, Is.Unique);
        Assert.That(variables, Is.SupersetOf(new[]
        {
            "OLLAMA_API_KEY", "OLLAMA_API_URL", "OLLAMA_MODEL", "OLLAMA_API_FORMAT", "LLM_TEMPERATURE", "LLM_TIMEOUT",
            "LLM_MAX_DURATION", "LLM_MAX_ATTEMPTS", "LLM_MIN_INTERVAL", "LLM_RATE", "LLM_BURST", "REDIS_URL",
            "RUNNER_STREAM", "RUNNER_GROUP", "RUNNER_CONSUMER", "RUNNER_CONCURRENCY", "RUNNER_MAX_ATTEMPTS",
            "RUNNER_CLAIM_IDLE", "RUNNER_SHUTDOWN_TIMEOUT", "GITHUB_APP_ID", "GITHUB_CLIENT_ID", "GITHUB_APP_PRIVATE_KEY",
            "GITHUB_APP_PRIVATE_KEY_PATH", "GITHUB_API_URL", "AGENT_MAX_STEPS", "AGENT_MAX_TOKENS", "RUNNER_CACHE_DIR",
            "RUNNER_LOG_LEVEL", "RUNNER_LOG_FORMAT", "OTEL_EXPORTER_OTLP_ENDPOINT",
        }));
    }

    [Test]
    public void A_multi_line_value_in_a_plain_variable_stays_on_its_line()
    {
        var text = StartupBanner.Worker.Render(Configuration(("OLLAMA_MODEL", "a\nb")));

        Assert.That(Line(text, "OLLAMA_MODEL"), Does.EndWith("= a b"));
    }

    [Test]
    public void Banner_is_one_log_event_whose_properties_hold_no_secret()
    {
        var logger = new RecordingLogger();

        WebhookHost.Banner.Log(logger, Configuration(("GITHUB_WEBHOOK_SECRET", WebhookSecret), ("OLLAMA_API_KEY", OllamaKey)));

        var entry = logger.Entries.Single();
        Assert.That(entry.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(entry.Message, Does.Contain("starting webhook").And.Contain("GITHUB_WEBHOOK_SECRET").And.Contain("= set"));
        foreach (var value in entry.Properties.Select(p => p.Value?.ToString() ?? string.Empty).Append(entry.Message))
        {
            Assert.That(value, Does.Not.Contain(WebhookSecret).And.Not.Contain(OllamaKey));
        }
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build();

    private static string Line(string text, string variable) =>
        text.Split('\n').Single(line => line.TrimStart().StartsWith(variable + " ", StringComparison.Ordinal)).TrimEnd();

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> Properties)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            Entries.Add((logLevel, formatter(state, exception), properties));
        }
    }
}
