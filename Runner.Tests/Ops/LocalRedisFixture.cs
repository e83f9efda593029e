using Runner.Core.Redis;

namespace Runner.Tests.Ops;

/// <summary>A real redis-server on a free loopback port, shared by the tests of one fixture.</summary>
public abstract class LocalRedisFixture
{
    protected LocalRedisServer Redis { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartRedisAsync() => Redis = await LocalRedisServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRedisAsync() => await Redis.DisposeAsync();
}
