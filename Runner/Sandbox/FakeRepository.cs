using System.Security.Cryptography;

namespace Runner.Sandbox;

internal sealed record FakeIssue(int Number, string Title, string Body, bool Open = true, bool IsPullRequest = false);

internal sealed record FakeComment(long Id, int IssueNumber, string Body, string Login, string UserType);

/// <summary>The state of one repository on the GitHub stand-in. Mutated by the stand-in's routes under <see cref="Gate"/>.</summary>
internal sealed class FakeRepository(string owner, string name)
{
    public Lock Gate { get; } = new();

    public string Owner => owner;

    public string Name => name;

    public string FullName => $"{owner}/{name}";

    public string DefaultBranch { get; set; } = "main";

    public string Sha { get; set; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>Files of the default branch: served by the contents API and packed into the tarball.</summary>
    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    public List<(string Name, string Description)> Labels { get; } = [];

    public List<FakeIssue> Issues { get; } = [];

    public Dictionary<int, List<string>> IssueLabels { get; } = [];

    public List<FakeComment> Comments { get; } = [];

    public List<(string Target, string Content)> Reactions { get; } = [];

    /// <summary>Collaborator permission per login (<c>admin</c>, <c>write</c>, <c>read</c>, <c>none</c>); unknown logins are <c>none</c>.</summary>
    public Dictionary<string, string> Permissions { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string TopFolder => $"{owner}-{name}-{Sha[..7]}";

    /// <summary>Pulls, reviews and the Git Data API of this repository; the stand-in routes to it first.</summary>
    public PullRequestStandIn PullRequests { get; } = new(owner, name);

    /// <summary>
    /// Commits <see cref="Files"/> to the default branch in the Git Data store and makes that commit the branch head
    /// (<see cref="Sha"/>), so branches, tarballs, trees and refs agree. Call after the files are in place.
    /// </summary>
    public FakeRepository WithGitData()
    {
        lock (Gate)
        {
            Sha = PullRequests.SeedBranch(DefaultBranch, Files, "Initial commit");
        }

        return this;
    }

    public FakeRepository WithFile(string path, string content)
    {
        Files[path] = content;
        return this;
    }

    public FakeRepository WithLabels(params string[] labels)
    {
        foreach (var label in labels)
        {
            Labels.Add((label, $"About {label}"));
        }

        return this;
    }

    public FakeRepository WithIssue(int number, string title, string body = "", bool open = true)
    {
        Issues.Add(new FakeIssue(number, title, body, open));
        return this;
    }

    public FakeRepository WithPermission(string login, string permission)
    {
        Permissions[login] = permission;
        return this;
    }

    public IReadOnlyList<FakeComment> CommentsOn(int issueNumber)
    {
        lock (Gate)
        {
            return Comments.Where(c => c.IssueNumber == issueNumber).ToList();
        }
    }

    /// <summary>The default branch's files as tarball entries.</summary>
    public IEnumerable<TarballEntry> TarballEntries => Files.Select(f => TarballEntry.Text(f.Key, f.Value));

    public byte[] BuildTarball() => TarballBuilder.Build(TopFolder, Sha, TarballEntries);

    /// <summary>The tarball of another commit of the Git Data store (a pull request's head), or null when there is none.</summary>
    public byte[]? BuildTarball(string commitSha) =>
        PullRequests.FilesAtOrNull(commitSha) is { } files
            ? TarballBuilder.Build($"{owner}-{name}-{commitSha[..7]}", commitSha, files.Select(f => TarballEntry.Text(f.Key, f.Value)))
            : null;
}
