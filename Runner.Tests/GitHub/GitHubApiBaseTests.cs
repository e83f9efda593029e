using Octokit;
using Runner.Core.GitHub;

namespace Runner.Tests.GitHub;

public sealed class GitHubApiBaseTests
{
    [TestCase(null, "https://api.github.com/")]
    [TestCase("", "https://api.github.com/")]
    [TestCase("https://api.github.com", "https://api.github.com/")]
    [TestCase("https://github.com", "https://api.github.com/")]
    [TestCase("https://ghe.example.com", "https://ghe.example.com/api/v3/")]
    [TestCase("https://ghe.example.com/", "https://ghe.example.com/api/v3/")]
    [TestCase("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/")]
    [TestCase("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/")]
    [TestCase("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v3/")]
    public void Normalizes_GITHUB_API_URL_to_the_REST_base(string? apiUrl, string expected) =>
        Assert.That(GitHubApiBase.Normalize(apiUrl), Is.EqualTo(new Uri(expected)));

    /// <summary>Octokit's own GitHubClient(…, Uri) is the reference: Runner's calls must land where Octokit's would.</summary>
    [TestCase("https://api.github.com")]
    [TestCase("https://github.com")]
    [TestCase("https://ghe.example.com")]
    [TestCase("https://ghe.example.com/api/v3")]
    [TestCase("http://127.0.0.1:8080")]
    public void Agrees_with_Octokits_enterprise_rule(string apiUrl)
    {
        var octokit = new GitHubClient(new ProductHeaderValue("Runner.Tests"), new Uri(apiUrl));
        Assert.That(GitHubApiBase.Normalize(apiUrl), Is.EqualTo(octokit.BaseAddress));
    }

    [TestCase("ghe.example.com")]
    [TestCase("ftp://ghe.example.com")]
    [TestCase("https://user:secret@ghe.example.com")]
    [TestCase("https://ghe.example.com/?x=1")]
    public void Rejects_values_that_are_not_an_http_base_without_repeating_them(string apiUrl)
    {
        Assert.That(GitHubApiBase.TryNormalize(apiUrl, out _, out var error), Is.False);
        Assert.That(error, Does.StartWith("GITHUB_API_URL"));
        Assert.That(error, Does.Not.Contain("secret"));
    }
}
