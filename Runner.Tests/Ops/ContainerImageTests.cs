using System.Text.RegularExpressions;
using Runner.Hosting;
using Runner.Webhook;

namespace Runner.Tests.Ops;

/// <summary>The Dockerfile, .dockerignore and .env.example: checked as text, since CI has no Docker engine to build with.</summary>
public sealed partial class ContainerImageTests
{
    private static readonly string[] Dockerfile = RepositoryFiles.Read("Runner/Dockerfile").Split('\n');

    [Test]
    public void Builds_with_the_sdk_and_runs_on_the_aspnet_runtime_only()
    {
        var froms = Dockerfile.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

        Assert.That(froms, Has.Count.EqualTo(2));
        Assert.That(froms[0], Does.StartWith("FROM mcr.microsoft.com/dotnet/sdk:").And.EndWith(" AS build"));
        Assert.That(froms[1], Does.StartWith("FROM mcr.microsoft.com/dotnet/aspnet:"));
    }

    [Test]
    public void Final_stage_runs_as_the_non_root_app_user_stops_on_sigterm_and_probes_health()
    {
        var final = FinalStage();

        Assert.Multiple(() =>
        {
            Assert.That(final, Does.Contain("USER $APP_UID"));
            Assert.That(final, Does.Contain("STOPSIGNAL SIGTERM"));
            Assert.That(final, Does.Contain("ENTRYPOINT [\"dotnet\", \"Runner.dll\"]"));
            Assert.That(final.Single(l => l.StartsWith("    CMD", StringComparison.Ordinal) || l.StartsWith("HEALTHCHECK", StringComparison.Ordinal) && l.Contains("CMD", StringComparison.Ordinal)),
                Does.Contain("\"health\""));
            Assert.That(final.IndexOf("USER $APP_UID"), Is.LessThan(final.FindIndex(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal))));
        });
    }

    [Test]
    public void No_secret_is_passed_to_the_build_or_baked_into_the_image()
    {
        var declarations = Dockerfile.Where(l => l.StartsWith("ARG ", StringComparison.Ordinal) || l.StartsWith("ENV ", StringComparison.Ordinal) || l.StartsWith("    ", StringComparison.Ordinal));

        Assert.That(declarations, Has.None.Matches<string>(l => SecretName().IsMatch(l)));
        Assert.That(RepositoryFiles.Read(".dockerignore").Split('\n'), Does.Contain("**/.env").And.Contain("**/*.pem"));
    }

    [Test]
    public void Env_example_lists_every_variable_the_banner_shows_and_marks_the_required_ones()
    {
        var lines = RepositoryFiles.Read(".env.example").Split('\n');
        var listed = lines.Select(l => VariableLine().Match(l)).Where(m => m.Success).Select(m => m.Groups["name"].Value).ToHashSet();
        var required = RequiredVariables(lines);

        Assert.That(listed, Is.SupersetOf(SettingCatalog.Worker.Concat(WebhookHost.Banner.Settings).Select(s => s.Variable).Where(v => v != "PORT").Distinct()));
        Assert.That(required, Is.SupersetOf(new[] { "OLLAMA_API_KEY", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY" }));
        Assert.That(lines.Where(l => l.StartsWith("OLLAMA_API_KEY=", StringComparison.Ordinal)), Has.All.EqualTo("OLLAMA_API_KEY="), "no key value in the example");
    }

    /// <summary>The variable each <c># REQUIRED</c> comment block describes (the first variable line after it).</summary>
    private static List<string> RequiredVariables(IEnumerable<string> lines)
    {
        var required = new List<string>();
        var marked = false;
        foreach (var line in lines)
        {
            marked |= line.StartsWith("# REQUIRED", StringComparison.Ordinal);
            var variable = VariableLine().Match(line);
            if (variable.Success)
            {
                if (marked)
                {
                    required.Add(variable.Groups["name"].Value);
                }

                marked = false;
            }
        }

        return required;
    }

    private static List<string> FinalStage() =>
        [.. Dockerfile.Skip(Array.FindLastIndex(Dockerfile, l => l.StartsWith("FROM ", StringComparison.Ordinal)))];

    [GeneratedRegex(@"(KEY|SECRET|TOKEN|PASSWORD)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"^#?(?<name>[A-Z][A-Z0-9_]+)=")]
    private static partial Regex VariableLine();
}
