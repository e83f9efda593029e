using System.Text.RegularExpressions;

namespace Runner.Tests.Ops;

/// <summary>The Dockerfile and .dockerignore, checked as text against Runner's rules (.ci/steps/container.sh builds and runs the image).</summary>
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
    public void Builds_offline_behind_a_mirror_and_stamps_the_revision_into_the_version()
    {
        Assert.Multiple(() =>
        {
            // A `# syntax=` line makes BuildKit pull a frontend image from Docker Hub before building anything.
            Assert.That(Dockerfile, Has.None.StartsWith("# syntax="));
            Assert.That(Dockerfile, Does.Contain("ARG RUNNER_REVISION="));
            Assert.That(string.Join('\n', Dockerfile), Does.Contain("-p:SourceRevisionId=\"$RUNNER_REVISION\""));
        });
    }

    [Test]
    public void No_secret_is_passed_to_the_build_or_baked_into_the_image()
    {
        var declarations = Dockerfile.Where(l => l.StartsWith("ARG ", StringComparison.Ordinal) || l.StartsWith("ENV ", StringComparison.Ordinal) || l.StartsWith("    ", StringComparison.Ordinal));

        Assert.That(declarations, Has.None.Matches<string>(l => SecretName().IsMatch(l)));
        Assert.That(RepositoryFiles.Read(".dockerignore").Split('\n'), Does.Contain("**/.env").And.Contain("**/*.pem"));
    }

    private static List<string> FinalStage() =>
        [.. Dockerfile.Skip(Array.FindLastIndex(Dockerfile, l => l.StartsWith("FROM ", StringComparison.Ordinal)))];

    [GeneratedRegex(@"(KEY|SECRET|TOKEN|PASSWORD)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
