using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Runner.Core.Llm;
using Runner.Hosting;
using Serilog;
using Serilog.Events;

namespace Runner.Cli;

/// <summary>
/// <c>runner llm ping</c> and <c>runner llm models</c>: check the LLM settings from the same environment the worker
/// reads. They use a per-process rate limiter (no Redis needed) and print errors as one line.
/// </summary>
internal static class LlmCommands
{
    public static IEnumerable<Command> Create() => [Create(RunnerHost.CreateBuilder)];

    /// <param name="createBuilder">Where configuration and logging come from; tests pass their own.</param>
    internal static Command Create(Func<HostApplicationBuilder> createBuilder)
    {
        var ping = new Command("ping", "Send one tiny chat to OLLAMA_MODEL; print the model, latency and tokens");
        ping.SetAction((parseResult, cancellationToken) =>
            RunAsync(() => OneShot(createBuilder()), parseResult.InvocationConfiguration, "llm ping", PingAsync, cancellationToken));

        var models = new Command("models", "List the models the server offers (GET {url}/tags native, GET {url}/models OpenAI)");
        models.SetAction((parseResult, cancellationToken) =>
            RunAsync(createBuilder, parseResult.InvocationConfiguration, "llm models", ListModelsAsync, cancellationToken));

        var llm = new Command("llm", "Check the LLM endpoint, key and model");
        llm.Subcommands.Add(ping);
        llm.Subcommands.Add(models);
        return llm;
    }

    /// <summary>
    /// A ping answers "does this endpoint, key and model work" in one line: one attempt (a retry loop would only
    /// hide a refused connection or a bad key for half a minute; LLM_TIMEOUT still bounds a silent server), and the
    /// client's own per-attempt log lines left out, since the verb prints the outcome itself.
    /// </summary>
    private static HostApplicationBuilder OneShot(HostApplicationBuilder builder)
    {
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["LLM_MAX_ATTEMPTS"] = "1" });
        // Serilog replaces the logger factory, so Microsoft.Extensions.Logging filters would not apply.
        builder.Services.AddSerilog(configuration => LoggingSetup.Configure(configuration, LogEventLevel.Information, json: false)
            .MinimumLevel.Override("Runner.Core.Llm", LogEventLevel.Fatal));
        return builder;
    }

    private static async Task<int> RunAsync(
        Func<HostApplicationBuilder> createBuilder,
        InvocationConfiguration console,
        string verb,
        Func<IServiceProvider, InvocationConfiguration, CancellationToken, Task<int>> run,
        CancellationToken cancellationToken)
    {
        var builder = createBuilder();
        builder.Services.AddRunnerLlm(builder.Configuration);
        using var host = builder.Build();
        if (!RunnerHost.TryValidateConfiguration(host.Services, out var error))
        {
            await console.Error.WriteLineAsync($"runner: configuration error: {error}");
            return ExitCodes.Failure;
        }

        try
        {
            return await run(host.Services, console, cancellationToken);
        }
        catch (Exception exception) when (exception is LlmTransientException or LlmPermanentException)
        {
            await console.Error.WriteLineAsync($"runner: {verb} failed: {exception.Message}");
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> PingAsync(IServiceProvider services, InvocationConfiguration console, CancellationToken cancellationToken)
    {
        var client = services.GetRequiredService<ILlmClient>();
        var endpoint = services.GetRequiredService<LlmModelCatalog>().Endpoint;
        var result = await client.ChatAsync(
            new ChatRequest(
                [ChatMessage.System("You are a health check. Answer with one word."), ChatMessage.User("Say pong.")],
                Temperature: 0),
            cancellationToken);

        var reply = result.Content.Trim().ReplaceLineEndings(" ");
        var output = console.Output;
        await output.WriteLineAsync($"model:   {result.Model} ({Describe(endpoint)})");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"latency: {result.Duration.TotalMilliseconds:0} ms"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"tokens:  {result.Usage.PromptTokens} prompt + {result.Usage.CompletionTokens} completion = {result.Usage.TotalTokens}"));
        await output.WriteLineAsync($"reply:   {(reply.Length > 200 ? reply[..200] + "…" : reply)}");
        return ExitCodes.Ok;
    }

    private static async Task<int> ListModelsAsync(IServiceProvider services, InvocationConfiguration console, CancellationToken cancellationToken)
    {
        var catalog = services.GetRequiredService<LlmModelCatalog>();
        var configured = services.GetRequiredService<ILlmClient>().Model;
        var models = await catalog.ListModelsAsync(cancellationToken);
        foreach (var model in models.Order(StringComparer.Ordinal))
        {
            await console.Output.WriteLineAsync(model);
        }

        if (!models.Any(model => SameModel(model, configured)))
        {
            await console.Error.WriteLineAsync(
                $"runner: OLLAMA_MODEL '{configured}' is not among the {models.Count} model(s) at {Describe(catalog.Endpoint)}");
        }

        return ExitCodes.Ok;
    }

    private static bool SameModel(string listed, string configured) =>
        string.Equals(listed, configured, StringComparison.OrdinalIgnoreCase)
        || string.Equals(listed, configured + ":latest", StringComparison.OrdinalIgnoreCase);

    private static string Describe(LlmEndpoint endpoint) =>
        $"{(endpoint.Format == LlmApiFormat.Native ? "Ollama native API" : "OpenAI-compatible API")} at {LlmEndpoint.Display(endpoint.BaseUri)}";
}
