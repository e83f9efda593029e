using System.Text.Json;
using Runner.Core.Llm.Retries;
using Runner.Core.Llm.Wire;

namespace Runner.Tests.Llm;

public sealed class ToolArgumentsAndBackoffTests
{
    [TestCase("""{"a":1}""", """{"a":1}""")]
    [TestCase("", "{}")]
    [TestCase("   ", "{}")]
    [TestCase("null", "{}")]
    [TestCase("\"{\\\"a\\\":1}\"", """{"a":1}""")]
    public void Argument_strings_become_json_objects(string text, string expected)
    {
        var arguments = ToolArguments.FromString(text);

        Assert.That(arguments.ValueKind, Is.EqualTo(JsonValueKind.Object));
        Assert.That(JsonSerializer.Serialize(arguments), Is.EqualTo(expected));
    }

    [TestCase("{\"a\":")]
    [TestCase("[1,2]")]
    [TestCase("42")]
    public void Arguments_that_are_not_an_object_are_kept_for_the_tool_to_report(string text)
    {
        var arguments = ToolArguments.FromString(text);

        Assert.That(arguments.ValueKind, Is.EqualTo(JsonValueKind.Object));
        Assert.That(arguments.GetProperty(ToolArguments.UnparsedProperty).GetString(), Is.EqualTo(text));
    }

    [Test]
    public void Argument_objects_stay_objects_and_string_values_are_parsed()
    {
        var native = JsonSerializer.Deserialize<JsonElement>("""{"path":"a"}""");
        var asString = JsonSerializer.Deserialize<JsonElement>("\"{\\\"path\\\":\\\"a\\\"}\"");

        Assert.That(ToolArguments.FromElement(native).GetProperty("path").GetString(), Is.EqualTo("a"));
        Assert.That(ToolArguments.FromElement(asString).GetProperty("path").GetString(), Is.EqualTo("a"));
    }

    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(3, 4)]
    [TestCase(4, 8)]
    [TestCase(5, 16)]
    [TestCase(6, 16)]
    [TestCase(30, 16)]
    public void Backoff_doubles_from_one_second_and_stays_at_sixteen(int failedAttempt, int ceilingSeconds)
    {
        var ceiling = TimeSpan.FromSeconds(ceilingSeconds);

        Assert.That(RetryPolicy.Ceiling(failedAttempt), Is.EqualTo(ceiling));
        Assert.That(RetryPolicy.Backoff(failedAttempt, 0), Is.EqualTo(ceiling / 2), "equal jitter: never below half");
        Assert.That(RetryPolicy.Backoff(failedAttempt, 1), Is.EqualTo(ceiling), "never above the ceiling");
    }

    [TestCase(429, "rate limit exceeded, retry later", false)]
    [TestCase(429, "you have reached your session usage limit", true)]
    [TestCase(503, "usage limit", false)]
    public void Only_a_429_that_talks_about_a_usage_limit_or_quota_is_a_spent_quota(int status, string reason, bool quota) =>
        Assert.That(RetryPolicy.IsQuotaExhausted(status, reason), Is.EqualTo(quota));
}
