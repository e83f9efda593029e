using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Tests.Agent;

/// <summary>One throw-away redis-server for all agent tests (each test uses its own repository, so its own lock keys).</summary>
[SetUpFixture]
public sealed class AgentRedis
{
    private static LocalRedisServer? server;
    private static ConnectionMultiplexer? connection;

    public static LocalRedisServer Server => server ?? throw new InvalidOperationException("Redis is not started");

    public static IConnectionMultiplexer Connection => connection ?? throw new InvalidOperationException("Redis is not started");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        server = await LocalRedisServer.StartAsync();
        connection = await ConnectionMultiplexer.ConnectAsync(server.HostPort);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }

        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
