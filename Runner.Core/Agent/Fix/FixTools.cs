using System.Text.Json;
using Runner.Core.Agent.Loop;
using Runner.Core.Agent.Tools;
using Runner.Core.Llm;

namespace Runner.Core.Agent.Fix;

/// <summary>
/// The read tools of <paramref name="read"/> plus <c>write_file</c> and <c>delete_file</c>, which act on the
/// in-memory <paramref name="changes"/> only. A refused write comes back to the model as a tool error naming the
/// rule; the run goes on with the rest of its change set.
/// </summary>
internal sealed class FixTools(IToolExecutor read, FixChangeSet changes) : IToolExecutor
{
    public const string WriteFileName = "write_file";
    public const string DeleteFileName = "delete_file";

    public static IReadOnlyList<ToolDefinition> WriteDefinitions { get; } =
    [
        Define(WriteFileName,
            "Create or replace a file of the repository with the full new content. Changes are collected and proposed as one draft pull request at the end.",
            """{"type":"object","properties":{"path":{"type":"string","description":"File path relative to the repository root, e.g. src/App.cs."},"content":{"type":"string","description":"The complete new content of the file."}},"required":["path","content"]}"""),
        Define(DeleteFileName,
            "Delete a file of the repository in the proposed change.",
            """{"type":"object","properties":{"path":{"type":"string","description":"File path relative to the repository root."}},"required":["path"]}"""),
    ];

    public IReadOnlyList<ToolDefinition> Definitions { get; } = [.. read.Definitions, .. WriteDefinitions];

    public FixChangeSet Changes => changes;

    public Task<string> ExecuteAsync(ToolCall call, int maxChars, CancellationToken cancellationToken) => call.Name switch
    {
        WriteFileName => Task.FromResult(Write(call.Arguments)),
        DeleteFileName => Task.FromResult(changes.Delete(ToolArguments.String(call.Arguments, "path")).Message),
        _ => read.ExecuteAsync(call, maxChars, cancellationToken),
    };

    public string Describe(ToolCall call) => call.Name switch
    {
        WriteFileName or DeleteFileName => $"{call.Name} {new string((ToolArguments.String(call.Arguments, "path") ?? string.Empty).Where(c => !char.IsControl(c) && c is not ('`' or '<' or '>')).Take(120).ToArray())}",
        _ => read.Describe(call),
    };

    private string Write(JsonElement arguments) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
            ? changes.Write(ToolArguments.String(arguments, "path"), content.GetString() ?? string.Empty).Message
            : "Error: write_file needs a path and the file's complete content as a string.";

    private static ToolDefinition Define(string name, string description, string schema)
    {
        using var document = JsonDocument.Parse(schema);
        return new ToolDefinition(name, description, document.RootElement.Clone());
    }
}
