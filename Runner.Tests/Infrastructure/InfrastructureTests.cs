using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Runner.Core.Redis;
using StackExchange.Redis;

namespace Runner.Tests.Infrastructure;

public sealed class InfrastructureTests
{
    [Test]
    public async Task Local_redis_server_answers_ping_and_comes_back_after_a_restart()
    {
        await using var redis = await LocalRedisServer.StartAsync();
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.HostPort))
        {
            Assert.That((await connection.GetDatabase().ExecuteAsync("PING")).ToString(), Is.EqualTo("PONG"));
        }

        await redis.KillAsync();
        await redis.RestartAsync();
        await using var again = await ConnectionMultiplexer.ConnectAsync(redis.HostPort);
        Assert.That((await again.GetDatabase().ExecuteAsync("PING")).ToString(), Is.EqualTo("PONG"));
    }

    [Test]
    public async Task Loopback_http_server_serves_its_routes_on_127_0_0_1()
    {
        await using var server = await LoopbackHttpServer.StartAsync(app => app.MapGet("/hello", () => Results.Text("hi")));
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        Assert.That(server.BaseAddress.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(await client.GetStringAsync(new Uri("hello", UriKind.Relative)), Is.EqualTo("hi"));
    }
}
