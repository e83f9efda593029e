using NUnit.Framework;
using Runner.Core.GitHub;

namespace Runner.Tests.GitHub;

/// <summary>Asserts on the GitHub client's own failure type and its transient/permanent verdict.</summary>
internal static class GitHubAssert
{
    public static GitHubException ThrowsTransientAsync(AsyncTestDelegate code) => Throws(code, transient: true);

    public static GitHubException ThrowsPermanentAsync(AsyncTestDelegate code) => Throws(code, transient: false);

    /// <summary>Runs an Octokit call and throws what it failed with in GitHub's terms, as a handler would see it.</summary>
    public static async Task<T> RunAsync<T>(string operation, RepositoryRef repository, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception exception) when (GitHubErrors.FromOctokit(exception, operation, repository, TimeProvider.System) is GitHubException mapped
                                          && !ReferenceEquals(mapped, exception))
        {
            throw mapped;
        }
    }

    public static Task RunAsync(string operation, RepositoryRef repository, Func<Task> call) =>
        RunAsync(operation, repository, async () =>
        {
            await call();
            return true;
        });

    private static GitHubException Throws(AsyncTestDelegate code, bool transient)
    {
        var exception = Assert.ThrowsAsync<GitHubException>(code)!;
        Assert.That(exception.IsTransient, Is.EqualTo(transient), exception.Message);
        return exception;
    }
}
