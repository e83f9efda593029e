using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Runner.Tests.Ops;

/// <summary>Files shipped at the repository root (compose, Dockerfile, deploy/), read as data.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    /// <summary>Every document of a YAML file, with merge keys (<c>&lt;&lt;: *anchor</c>) resolved as compose does.</summary>
    public static IReadOnlyList<Dictionary<object, object>> YamlDocuments(string relativePath)
    {
        using var reader = new StringReader(Read(relativePath));
        var parser = new MergingParser(new Parser(reader));
        var deserializer = new DeserializerBuilder().Build();
        var documents = new List<Dictionary<object, object>>();
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (deserializer.Deserialize<object>(parser) is Dictionary<object, object> document)
            {
                documents.Add(document);
            }
        }

        return documents;
    }

    public static Dictionary<object, object> Map(this object? node, string key) =>
        node.MapOrNull(key) ?? throw new AssertionException($"no mapping '{key}'");

    public static Dictionary<object, object>? MapOrNull(this object? node, string key) =>
        (node as Dictionary<object, object>)?.GetValueOrDefault(key) as Dictionary<object, object>;

    public static List<object> List(this object? node, string key) =>
        (node as Dictionary<object, object>)?.GetValueOrDefault(key) as List<object>
        ?? throw new AssertionException($"no list '{key}'");

    public static string? Text(this object? node, string key) =>
        (node as Dictionary<object, object>)?.GetValueOrDefault(key)?.ToString();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Runner.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Runner.slnx not found above the test output folder");
    }
}
