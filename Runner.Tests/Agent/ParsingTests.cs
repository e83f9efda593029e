using Runner.Core.Agent.Commands;
using Runner.Core.Agent.Triage;

namespace Runner.Tests.Agent;

public sealed class ParsingTests
{
    [TestCase("/runner ask where is X?", "Ask", "ask", "where is X?")]
    [TestCase("  /RUNNER Triage  ", "Triage", "triage", "")]
    [TestCase("Hi!\n\n/runner ask how does\nthe retry work?", "Ask", "ask", "how does\nthe retry work?")]
    [TestCase("/runner", "Help", "", "")]
    [TestCase("/runner deploy prod", "Unknown", "deploy", "prod")]
    [TestCase("```\n/runner help\n```\n/runner triage", "Triage", "triage", "")]
    public void Commands_are_found_on_their_own_line(string body, string kind, string name, string argument)
    {
        var command = RunnerCommandParser.Parse(body);

        Assert.That(command, Is.Not.Null);
        Assert.That((command!.Kind.ToString(), command.Name, command.Argument), Is.EqualTo((kind, name, argument)));
    }

    [TestCase("please run /runner ask x")]
    [TestCase("/runnerask x")]
    [TestCase("> /runner ask quoted")]
    [TestCase("~~~\n/runner ask in a fence\n~~~")]
    [TestCase("")]
    public void Text_that_only_mentions_a_command_is_not_one(string body) =>
        Assert.That(RunnerCommandParser.Parse(body), Is.Null);

    [Test]
    public void Triage_answers_are_read_from_objects_strings_and_numbers()
    {
        var answer = TriageAnswerParser.TryParse("""
            Sure! {"note": "not this"} and then
            {"Summary": "S", "labels": [{"name": "bug"}, "docs"], "duplicates": ["#3", 4, {"issue": "5", "reason": "same"}, "x"],
             "missing_info": "version, logs"}
            """);

        Assert.That(answer, Is.Not.Null);
        Assert.That(answer!.Summary, Is.EqualTo("S"));
        Assert.That(answer.Labels, Is.EqualTo(new[] { "bug", "docs" }));
        Assert.That(answer.Duplicates, Is.EqualTo(new[] { new DuplicateClaim(3, ""), new DuplicateClaim(4, ""), new DuplicateClaim(5, "same") }));
        Assert.That(answer.MissingInformation, Is.EqualTo(new[] { "version", "logs" }));
    }

    [TestCase("no json here")]
    [TestCase("{\"summary\": \"unterminated")]
    [TestCase("{}")]
    public void Answers_without_a_triage_object_are_unreadable(string text) =>
        Assert.That(TriageAnswerParser.TryParse(text), Is.Null);
}
