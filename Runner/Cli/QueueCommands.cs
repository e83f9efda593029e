using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Runner.Core.Queue;
using Runner.Core.Redis;
using Runner.Hosting;
using StackExchange.Redis;

namespace Runner.Cli;

/// <summary>
/// Operator verbs on the job queue: <c>enqueue</c>, <c>status</c>, <c>dead list|replay|purge</c>. They read REDIS_URL
/// and RUNNER_* like the worker, build its services without starting it, and exit 0 (ok), 1 (failure) or 2 (usage).
/// </summary>
internal static class QueueCommands
{
    public static IEnumerable<Command> Create() => Create(RunnerHost.CreateBuilder);

    /// <param name="createBuilder">Where configuration comes from; tests add their own settings on top.</param>
    internal static IEnumerable<Command> Create(Func<HostApplicationBuilder> createBuilder)
    {
        yield return Enqueue(createBuilder);
        yield return Status(createBuilder);
        yield return Dead(createBuilder);
    }

    private static Command Enqueue(Func<HostApplicationBuilder> createBuilder)
    {
        var eventArgument = new Argument<string>("event") { Description = "GitHub event name (X-GitHub-Event), e.g. issues, issue_comment or pull_request" };
        var payloadArgument = new Argument<string>("payload.json") { Description = "File with the webhook JSON (- reads standard input)" };
        var deliveryOption = new Option<string?>("--delivery") { Description = "X-GitHub-Delivery id (the idempotency key); a new GUID by default" };
        var command = new Command("enqueue", "Add a job to the stream exactly as a producer would")
        {
            eventArgument, payloadArgument, deliveryOption,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, createBuilder, "enqueue", async (admin, output) =>
        {
            var eventName = parse.GetValue(eventArgument)!;
            var path = parse.GetValue(payloadArgument)!;
            var delivery = parse.GetValue(deliveryOption) ?? Guid.NewGuid().ToString();
            if (string.IsNullOrWhiteSpace(eventName) || string.IsNullOrWhiteSpace(delivery))
            {
                return Fail(parse, ExitCodes.Usage, "enqueue: event and --delivery must not be empty");
            }

            string payload;
            try
            {
                payload = path == "-" ? await Console.In.ReadToEndAsync(cancellationToken) : await File.ReadAllTextAsync(path, cancellationToken);
                using var document = JsonDocument.Parse(payload);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return Fail(parse, ExitCodes.Failure, $"enqueue: {path} must hold a JSON object (the webhook body), not a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return Fail(parse, ExitCodes.Failure, $"enqueue: cannot read {path}: {exception.Message}");
            }
            catch (JsonException exception)
            {
                return Fail(parse, ExitCodes.Failure, $"enqueue: {path} is not valid JSON: {exception.Message}");
            }

            var id = await admin.EnqueueAsync(eventName, delivery, payload);
            await output.WriteLineAsync($"enqueued {id} event={eventName} delivery={delivery}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Status(Func<HostApplicationBuilder> createBuilder)
    {
        var command = new Command("status", "Show stream length, pending entries per consumer, lag, retries, dead letters and throughput");
        command.SetAction((parse, _) => RunAsync(parse, createBuilder, "status", async (admin, output) =>
        {
            await output.WriteAsync(QueueStatusText.Format(await admin.GetStatusAsync()));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Dead(Func<HostApplicationBuilder> createBuilder)
    {
        var countOption = new Option<int>("--count") { Description = "How many of the newest dead entries to show", DefaultValueFactory = _ => 20 };
        var list = new Command("list", "List the newest dead-letter entries, oldest first") { countOption };
        list.SetAction((parse, _) => RunAsync(parse, createBuilder, "dead list", async (admin, output) =>
        {
            var count = parse.GetValue(countOption);
            if (count < 1)
            {
                return Fail(parse, ExitCodes.Usage, "dead list: --count must be at least 1");
            }

            var dead = await admin.ListDeadAsync(count);
            await output.WriteAsync(QueueStatusText.Format(dead));
            return ExitCodes.Ok;
        }));

        var idArgument = new Argument<string?>("id") { Description = "Dead entry id (from dead list)", Arity = ArgumentArity.ZeroOrOne };
        var allOption = new Option<bool>("--all") { Description = "Replay every dead entry" };
        var replay = new Command("replay", "Put dead entries back on the stream as fresh jobs (attempt 1)") { idArgument, allOption };
        replay.SetAction((parse, _) =>
        {
            var id = parse.GetValue(idArgument);
            var all = parse.GetValue(allOption);
            if (all == !string.IsNullOrWhiteSpace(id))
            {
                return Task.FromResult(Fail(parse, ExitCodes.Usage, "dead replay: give one dead entry id or --all (see --help)"));
            }

            return RunAsync(parse, createBuilder, "dead replay", async (admin, output) =>
            {
                if (all)
                {
                    await output.WriteLineAsync($"replayed {(await admin.ReplayAllDeadAsync()).ToString(CultureInfo.InvariantCulture)} dead entries");
                    return ExitCodes.Ok;
                }

                var newId = await admin.ReplayDeadAsync(id!);
                if (newId is null)
                {
                    return Fail(parse, ExitCodes.Failure, $"dead replay: no dead entry {id}");
                }

                await output.WriteLineAsync($"replayed {id} as {newId}");
                return ExitCodes.Ok;
            });
        });

        var purge = new Command("purge", "Delete every dead-letter entry");
        purge.SetAction((parse, _) => RunAsync(parse, createBuilder, "dead purge", async (admin, output) =>
        {
            await output.WriteLineAsync($"purged {(await admin.PurgeDeadAsync()).ToString(CultureInfo.InvariantCulture)} dead entries");
            return ExitCodes.Ok;
        }));

        return new Command("dead", "Inspect and act on the dead-letter stream") { list, replay, purge };
    }

    /// <summary>Builds the worker's services without starting them, checks the configuration, runs the verb.</summary>
    private static async Task<int> RunAsync(ParseResult parse, Func<HostApplicationBuilder> createBuilder, string verb,
        Func<QueueAdmin, TextWriter, Task<int>> action)
    {
        var builder = createBuilder();
        builder.Services.AddRunnerRedis(builder.Configuration).AddRunnerQueue(builder.Configuration);

        // One connect attempt instead of the worker's three: an operator waiting on a verb wants the answer quickly.
        builder.Services.Replace(ServiceDescriptor.Singleton<IConnectionMultiplexer>(services =>
        {
            var options = RedisServiceCollectionExtensions.CreateConnectionOptions(services.GetRequiredService<IOptions<RedisOptions>>().Value.Url);
            options.ConnectRetry = 1;
            return ConnectionMultiplexer.Connect(options);
        }));
        using var host = builder.Build();
        if (!RunnerHost.TryValidateConfiguration(host.Services, out var error))
        {
            return Fail(parse, ExitCodes.Failure, $"configuration error: {error}");
        }

        try
        {
            // The connection does not abort when Redis is down (the worker wants that); a one-shot verb says so at once.
            var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
            if (!redis.IsConnected)
            {
                var endpoints = string.Join(", ", redis.GetEndPoints().Select(e => e.ToString()));
                return Fail(parse, ExitCodes.Failure, $"{verb}: cannot connect to Redis at {endpoints} (check REDIS_URL)");
            }

            return await action(host.Services.GetRequiredService<QueueAdmin>(), parse.InvocationConfiguration.Output);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // StackExchange.Redis messages name the endpoint, never the password; the first line says enough.
            var reason = exception.Message.Split('\n', 2)[0].Trim();
            return Fail(parse, ExitCodes.Failure, $"{verb}: Redis error: {(reason.Length > 300 ? reason[..300] : reason)}");
        }
    }

    private static int Fail(ParseResult parse, int exitCode, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine($"runner: {message}");
        return exitCode;
    }
}
