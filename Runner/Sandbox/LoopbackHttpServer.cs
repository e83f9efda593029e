using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Runner.Sandbox;

/// <summary>A real Kestrel server on 127.0.0.1 and a free port, standing in for GitHub or an LLM API.</summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private LoopbackHttpServer(WebApplication app, Uri baseAddress)
    {
        this.app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The server's root, with a trailing slash, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <param name="url">Where to listen; <c>runner sandbox serve</c> passes an address other containers reach.</param>
    public static async Task<LoopbackHttpServer> StartAsync(Action<WebApplication> mapRoutes, string url = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options => options.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        mapRoutes(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        return new LoopbackHttpServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
