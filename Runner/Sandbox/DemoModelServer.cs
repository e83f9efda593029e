using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Runner.Sandbox;

/// <summary>
/// The sandbox's stand-in for Ollama's native API (<c>POST /api/chat</c> streamed as NDJSON, <c>GET /api/tags</c>).
/// It is not a model: it answers the demo issue the way a good model would, so the real LLM client parses a
/// real stream and the real agent runs its real tool loop. First it asks to read the README (a tool call),
/// then it answers: triage JSON for triage prompts, prose for questions.
/// </summary>
internal static class DemoModelServer
{
    public const string ModelName = "sandbox-demo-model";

    public static void Map(WebApplication app)
    {
        app.MapGet("/api/tags", () => Results.Json(new { models = new[] { new { name = ModelName, model = ModelName } } }));
        app.MapPost("/api/chat", ChatAsync);
    }

    private static async Task ChatAsync(HttpContext context)
    {
        var request = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted)
            ?? throw new BadHttpRequestException("empty body");
        var messages = request["messages"]?.AsArray() ?? [];
        var offersTools = request["tools"] is JsonArray { Count: > 0 };
        var hasToolResults = messages.Any(m => (string?)m?["role"] == "tool");
        var system = (string?)messages.FirstOrDefault(m => (string?)m?["role"] == "system")?["content"] ?? string.Empty;

        var message = new JsonObject { ["role"] = "assistant", ["content"] = string.Empty };
        if (offersTools && !hasToolResults)
        {
            message["tool_calls"] = new JsonArray(new JsonObject
            {
                ["function"] = new JsonObject
                {
                    ["name"] = "read_file",
                    ["arguments"] = new JsonObject { ["path"] = "README.md" },
                },
            });
        }
        else
        {
            message["content"] = system.Contains("triage", StringComparison.OrdinalIgnoreCase) ? TriageAnswer : AskAnswer;
        }

        context.Response.ContentType = "application/x-ndjson";
        var promptTokens = messages.Sum(m => ((string?)m?["content"])?.Length ?? 0) / 4;
        var content = (string)message["content"]!;
        // Stream the content in pieces, as Ollama does, so the client's chunk assembly is what runs.
        var pieces = content.Length == 0 ? [string.Empty] : content.Chunk(64).Select(c => new string(c)).ToArray();
        for (var i = 0; i < pieces.Length; i++)
        {
            var chunk = new JsonObject
            {
                ["model"] = ModelName,
                ["message"] = i == 0 ? message.DeepClone() : new JsonObject { ["role"] = "assistant", ["content"] = pieces[i] },
                ["done"] = false,
            };
            if (i == 0)
            {
                chunk["message"]!["content"] = pieces[0];
            }

            await context.Response.WriteAsync(chunk.ToJsonString() + "\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        var done = new JsonObject
        {
            ["model"] = ModelName,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = string.Empty },
            ["done"] = true,
            ["done_reason"] = "stop",
            ["prompt_eval_count"] = promptTokens,
            ["eval_count"] = content.Length / 4 + 12,
        };
        await context.Response.WriteAsync(done.ToJsonString() + "\n", context.RequestAborted);
    }

    private static readonly string TriageAnswer = JsonSerializer.Serialize(new
    {
        summary = "The app crashes at start-up with a FileNotFoundException when config/settings.json does not exist, "
            + "instead of falling back to defaults as the README promises.",
        labels = new[] { "bug" },
        duplicates = new[] { new { number = DemoRepository.ExistingIssueNumber, reason = "Same crash when the settings file is missing." } },
        missing_information = new[] { "The version of hello-runner and the operating system.", "The full error output (stack trace)." },
    });

    private const string AskAnswer =
        "The README says settings are read from `config/settings.json` and that defaults apply when the file is missing; "
        + "`src/settings.py` opens the file without checking that it exists, which is where the crash comes from.";
}
