namespace Runner.Tests.Llm;

/// <summary>Base of the fixtures that talk to a fresh <see cref="FakeLlmServer"/> per test.</summary>
public abstract class FakeLlmServerFixture
{
    protected FakeLlmServer Server { get; private set; } = null!;

    [SetUp]
    public async Task StartServer() => Server = await FakeLlmServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await Server.DisposeAsync();
}
