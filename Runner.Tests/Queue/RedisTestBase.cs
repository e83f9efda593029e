using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Tests.Queue;

/// <summary>One throw-away redis-server per test class, with a connection configured like the worker's.</summary>
public abstract class RedisTestBase
{
    protected LocalRedisServer Server { get; private set; } = null!;

    protected ConnectionMultiplexer Redis { get; private set; } = null!;

    protected IDatabase Db => Redis.GetDatabase();

    [OneTimeSetUp]
    public async Task StartRedis()
    {
        Server = await LocalRedisServer.StartAsync();
        Redis = await ConnectAsync();
    }

    [OneTimeTearDown]
    public async Task StopRedis()
    {
        await Redis.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// <summary>Another connection, as a separate replica would have.</summary>
    protected async Task<ConnectionMultiplexer> ConnectAsync() =>
        await ConnectionMultiplexer.ConnectAsync(RedisServiceCollectionExtensions.CreateConnectionOptions(Server.Url));
}
