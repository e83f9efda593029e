using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Runner.Hosting;

namespace Runner.Tests.Ops;

/// <summary>
/// <see cref="SettingCatalog"/> is the one list of settings: the README table, .env.example and the banner shown in
/// docs/operations.md must say what it says, so they cannot drift from the code again.
/// </summary>
public sealed partial class SettingCatalogTests
{
    [Test]
    public void Readme_configuration_table_is_the_catalog_rendered()
    {
        var expected = SettingCatalog.MarkdownTable();

        Assert.That(RepositoryFiles.Read("README.md").ReplaceLineEndings("\n").Contains(expected, StringComparison.Ordinal), Is.True,
            "paste this table into README.md's Configuration section:\n" + expected);
    }

    [Test]
    public void Env_example_lists_exactly_the_catalog_marks_the_required_ones_and_shows_the_defaults()
    {
        var catalog = SettingCatalog.All.ToDictionary(s => s.Variable);
        var examples = EnvExample.Lines();

        Assert.Multiple(() =>
        {
            Assert.That(examples.Select(e => e.Variable), Is.EquivalentTo(catalog.Keys), "one line per catalog variable, no other");
            Assert.That(examples.Where(e => e.Required).Select(e => e.Variable),
                Is.EquivalentTo(catalog.Values.Where(s => s.IsRequired && s.Scope == SettingScope.Worker).Select(s => s.Variable)),
                "# REQUIRED marks exactly the worker's required variables");
            foreach (var example in examples.Where(e => e.Commented))
            {
                var setting = catalog[example.Variable];
                if (setting.DocumentedDefault is null && setting.Default is { } value && !value.Contains(' ', StringComparison.Ordinal) && value != "off")
                {
                    Assert.That(example.Value, Is.EqualTo(value).Or.Empty, $"#{example.Variable}= shows the default");
                }
            }

            Assert.That(examples.Where(e => !e.Commented), Has.All.Matches<EnvExample.Line>(e => e.Value.Length == 0), "no values in the example");
        });
    }

    [Test]
    public void Banner_in_docs_operations_is_what_the_binary_prints_for_the_values_it_shows()
    {
        var lines = RepositoryFiles.Read("docs/operations.md").ReplaceLineEndings("\n").Split('\n');
        var start = Array.FindIndex(lines, l => l.Contains("starting worker on .NET", StringComparison.Ordinal));
        Assert.That(start, Is.GreaterThan(0), "docs/operations.md shows the worker's banner");
        var shown = lines.Skip(start + 1).TakeWhile(l => BannerLine().IsMatch(l)).Select(l => BannerLine().Match(l)).ToList();

        // The configuration the docs show: every value that is not a default, a missing value or a secret's "set".
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(shown
            .Where(m => !m.Groups["value"].Value.EndsWith("(default)", StringComparison.Ordinal) && m.Groups["value"].Value != "(not set)")
            .Select(m => KeyValuePair.Create(m.Groups["name"].Value, (string?)(m.Groups["value"].Value == "set" ? "secret" : m.Groups["value"].Value))))
            .Build();
        var printed = StartupBanner.Worker.Describe(configuration).ToList();
        var machineDependent = SettingCatalog.Worker.Where(s => s.DocumentedDefault is not null).Select(s => s.Variable).ToHashSet();

        Assert.Multiple(() =>
        {
            Assert.That(shown.Select(m => m.Groups["name"].Value), Is.EqualTo(printed.Select(p => p.Variable)), "same variables, same order");
            foreach (var (variable, value) in printed.Where(p => !machineDependent.Contains(p.Variable)))
            {
                Assert.That(shown.FirstOrDefault(m => m.Groups["name"].Value == variable)?.Groups["value"].Value, Is.EqualTo(value), variable);
            }
        });
    }

    [Test]
    public void Durations_are_written_the_way_operators_write_them()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SettingCatalog.Duration(TimeSpan.FromMilliseconds(100)), Is.EqualTo("100ms"));
            Assert.That(SettingCatalog.Duration(TimeSpan.FromSeconds(60)), Is.EqualTo("60s"));
            Assert.That(SettingCatalog.Duration(TimeSpan.FromMinutes(2)), Is.EqualTo("2m"));
            Assert.That(SettingCatalog.Duration(TimeSpan.FromHours(24)), Is.EqualTo("24h"));
            Assert.That(SettingCatalog.Duration(TimeSpan.FromSeconds(90)), Is.EqualTo("90s"));
        });
    }

    [GeneratedRegex(@"^\s+(?<name>[A-Z][A-Z0-9_]+) += (?<value>.*)$")]
    private static partial Regex BannerLine();
}

/// <summary>.env.example read as data: one entry per <c>NAME=</c> or <c>#NAME=</c> line.</summary>
internal static partial class EnvExample
{
    public static IReadOnlyList<Line> Lines()
    {
        var lines = new List<Line>();
        var required = false;
        foreach (var text in RepositoryFiles.Read(".env.example").ReplaceLineEndings("\n").Split('\n'))
        {
            required |= text.StartsWith("# REQUIRED", StringComparison.Ordinal);
            var match = VariableLine().Match(text);
            if (match.Success)
            {
                lines.Add(new Line(match.Groups["name"].Value, match.Groups["value"].Value, text.StartsWith('#'), required));
                required = false;
            }
        }

        return lines;
    }

    public static IEnumerable<string> Variables() => Lines().Select(l => l.Variable);

    [GeneratedRegex(@"^#?(?<name>[A-Z][A-Z0-9_]+)=(?<value>.*)$")]
    private static partial Regex VariableLine();

    public sealed record Line(string Variable, string Value, bool Commented, bool Required);
}
