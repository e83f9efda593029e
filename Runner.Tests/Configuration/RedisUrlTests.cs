using System.Net;
using Runner.Core.Redis;

namespace Runner.Tests.Configuration;

public sealed class RedisUrlTests
{
    [TestCase("redis://cache.internal:6380/2", "cache.internal", 6380, 2, false)]
    [TestCase("rediss://cache.internal", "cache.internal", 6379, null, true)]
    [TestCase("cache.internal:7000", "cache.internal", 7000, null, false)]
    [TestCase("localhost", "localhost", 6379, null, false)]
    public void Parses_supported_forms(string url, string host, int port, int? database, bool ssl)
    {
        Assert.That(RedisUrl.TryParse(url, out var options, out var error), Is.True, error);
        var endpoint = (DnsEndPoint)options.EndPoints.Single();
        Assert.Multiple(() =>
        {
            Assert.That(endpoint.Host, Is.EqualTo(host));
            Assert.That(endpoint.Port, Is.EqualTo(port));
            Assert.That(options.DefaultDatabase, Is.EqualTo(database));
            Assert.That(options.Ssl, Is.EqualTo(ssl));
        });
    }

    [Test]
    public void Reads_user_and_password_from_the_url()
    {
        Assert.That(RedisUrl.TryParse("redis://worker:s%40cret@cache:6379/0", out var options, out _), Is.True);
        Assert.That(options.User, Is.EqualTo("worker"));
        Assert.That(options.Password, Is.EqualTo("s@cret"));
    }

    [TestCase("http://cache:6379")]
    [TestCase("redis://cache:6379/banana")]
    [TestCase("cache:notaport")]
    [TestCase("")]
    public void Rejects_bad_values_naming_the_variable_and_never_the_value(string url)
    {
        Assert.That(RedisUrl.TryParse(url, out _, out var error), Is.False);
        Assert.That(error, Does.StartWith("REDIS_URL"));
    }

    [Test]
    public void Error_for_a_bad_url_does_not_repeat_the_password()
    {
        Assert.That(RedisUrl.TryParse("redis://user:hunter2@cache:6379/99", out _, out var error), Is.False);
        Assert.That(error, Does.Not.Contain("hunter2"));
    }
}
