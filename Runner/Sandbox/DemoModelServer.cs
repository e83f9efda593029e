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
        var toolResults = messages.Count(m => (string?)m?["role"] == "tool");
        var system = (string?)messages.FirstOrDefault(m => (string?)m?["role"] == "system")?["content"] ?? string.Empty;
        var reviewing = system.Contains("reviews pull requests", StringComparison.Ordinal);
        var fixing = system.Contains("draft pull request", StringComparison.Ordinal) && !reviewing;

        var message = new JsonObject { ["role"] = "assistant", ["content"] = string.Empty };
        if (offersTools && toolResults == 0)
        {
            message["tool_calls"] = ToolCall("read_file", new JsonObject { ["path"] = reviewing ? "src/main.py" : fixing ? "src/settings.py" : "README.md" });
        }
        else if (offersTools && fixing && toolResults == 1)
        {
            message["tool_calls"] = ToolCall("write_file", new JsonObject { ["path"] = "src/settings.py", ["content"] = FixedSettings });
        }
        else
        {
            message["content"] = reviewing ? ReviewAnswer
                : fixing ? FixAnswer
                : system.Contains("triage", StringComparison.OrdinalIgnoreCase) ? TriageAnswer : AskAnswer;
        }

        var promptTokens = messages.Sum(m => ((string?)m?["content"])?.Length ?? 0) / 4;
        var content = (string)message["content"]!;
        await WriteNativeStreamAsync(context, ModelName, message, pieceLength: 64, "stop", promptTokens, content.Length / 4 + 12);
    }

    /// <summary>
    /// Streams one answer as Ollama's native <c>/api/chat</c> does: NDJSON lines with the content in pieces (the first
    /// one also carrying the message's tool calls), so the client's chunk assembly is what runs, then a <c>done</c>
    /// line with the stop reason and the token counts.
    /// </summary>
    internal static async Task WriteNativeStreamAsync(HttpContext context, string model, JsonObject message, int pieceLength,
        string doneReason, int promptTokens, int evalTokens)
    {
        context.Response.ContentType = "application/x-ndjson";
        var content = (string?)message["content"] ?? string.Empty;
        var pieces = content.Length == 0 ? [string.Empty] : content.Chunk(pieceLength).Select(c => new string(c)).ToArray();
        for (var i = 0; i < pieces.Length; i++)
        {
            var chunk = new JsonObject
            {
                ["model"] = model,
                ["message"] = i == 0 ? message.DeepClone() : new JsonObject { ["role"] = "assistant", ["content"] = pieces[i] },
                ["done"] = false,
            };
            chunk["message"]!["content"] = pieces[i];
            await context.Response.WriteAsync(chunk.ToJsonString() + "\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        var done = new JsonObject
        {
            ["model"] = model,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = string.Empty },
            ["done"] = true,
            ["done_reason"] = doneReason,
            ["prompt_eval_count"] = promptTokens,
            ["eval_count"] = evalTokens,
        };
        await context.Response.WriteAsync(done.ToJsonString() + "\n", context.RequestAborted);
    }

    private static JsonArray ToolCall(string name, JsonObject arguments) =>
        new(new JsonObject { ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments } });

    private static readonly string ReviewAnswer = JsonSerializer.Serialize(new
    {
        summary = "Reads the greeting from the GREETING environment variable, falling back to the settings. "
            + "The fallback never happens: indexing os.environ raises KeyError when the variable is unset.",
        findings = new object[]
        {
            new
            {
                path = "src/main.py",
                line = 4,
                severity = "bug",
                body = "`os.environ[\"GREETING\"]` raises `KeyError` when GREETING is not set, so the `or load()` fallback on the next line is never reached. Use `os.environ.get`.",
                suggestion = "greeting = os.environ.get(\"GREETING\")",
            },
            new
            {
                path = "src/settings.py",
                line = 6,
                severity = "risk",
                body = "load() still crashes when config/settings.json is missing (see issue #7); this change does not help that case.",
            },
        },
    });

    private const string FixedSettings = """
        import json
        import os

        DEFAULTS = {"port": 8080, "greeting": "hello"}

        def load(path="config/settings.json"):
            if not os.path.exists(path):
                return dict(DEFAULTS)
            with open(path) as f:
                return {**DEFAULTS, **json.load(f)}

        """;

    private static readonly string FixAnswer = JsonSerializer.Serialize(new
    {
        title = "Fall back to the default settings when config/settings.json is missing",
        body = "`load()` opened the settings file without checking that it exists, so a fresh checkout crashed with "
            + "FileNotFoundError. It now returns a copy of `DEFAULTS` when the file is missing, as the README promises.\n\n"
            + "How to verify: delete config/settings.json and run `python src/main.py`; it prints `hello`.",
    });

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
