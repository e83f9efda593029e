using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Runner.Core.Agent.RepoConfig;

/// <summary>
/// Parses <c>.github/runner.yml</c> by hand over YamlDotNet's representation model, so every mistake is
/// reported with its line and in words a maintainer understands, instead of a deserializer's type names.
/// </summary>
internal static class RepositoryConfigParser
{
    public const int MaxInstructionChars = 4_000;
    public const int MaxIgnorePatterns = 100;

    private static readonly string[] Keys = ["triage", "labels", "instructions", "ignore", "review", "fix"];

    /// <returns>The configuration, or defaults and the problem that made the file unusable.</returns>
    public static (RepositoryConfig Config, string? Problem) Parse(string text)
    {
        try
        {
            return (ParseOrThrow(text), null);
        }
        catch (ConfigProblemException problem)
        {
            return (RepositoryConfig.Default, problem.Message);
        }
        catch (YamlException exception)
        {
            return (RepositoryConfig.Default, $"line {exception.Start.Line}: {Describe(exception)}");
        }
    }

    private static RepositoryConfig ParseOrThrow(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count == 0)
        {
            return RepositoryConfig.Default;
        }

        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" })
        {
            return RepositoryConfig.Default;
        }

        if (root is not YamlMappingNode mapping)
        {
            throw new ConfigProblemException(root, "the file must be a mapping of keys (triage, labels, instructions, ignore, review, fix)");
        }

        var config = RepositoryConfig.Default;
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            config = key switch
            {
                "triage" => config with { Triage = ReadBool(value, key) },
                "labels" => config with { Labels = ReadLabelMode(value) },
                "instructions" => config with { Instructions = ReadScalar(value, key).Trim() },
                "ignore" => config with { Ignore = ReadList(value, key) },
                "review" => ReadReview(config, value),
                "fix" => config with { Fix = ReadBool(value, key) },
                _ => throw new ConfigProblemException(keyNode, $"unknown key '{key}' (expected {string.Join(", ", Keys)})"),
            };
        }

        if (config.Instructions.Length > MaxInstructionChars)
        {
            config = config with { Instructions = config.Instructions[..MaxInstructionChars] };
        }

        return config;
    }

    private static bool ReadBool(YamlNode node, string key) =>
        ReadScalar(node, key).ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var other => throw new ConfigProblemException(node, $"'{key}' must be true or false, not '{other}'"),
        };

    /// <summary><c>review: false</c>, <c>review: true</c>, or <c>review: {enabled: bool, drafts: bool}</c>.</summary>
    private static RepositoryConfig ReadReview(RepositoryConfig config, YamlNode node)
    {
        if (node is not YamlMappingNode mapping)
        {
            return config with { Review = ReadBool(node, "review") };
        }

        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            config = key switch
            {
                "enabled" => config with { Review = ReadBool(value, "review.enabled") },
                "drafts" => config with { ReviewDrafts = ReadBool(value, "review.drafts") },
                _ => throw new ConfigProblemException(keyNode, $"unknown key 'review.{key}' (expected enabled, drafts)"),
            };
        }

        return config;
    }

    private static LabelMode ReadLabelMode(YamlNode node) =>
        ReadScalar(node, "labels").ToLowerInvariant() switch
        {
            "apply" => LabelMode.Apply,
            "suggest" => LabelMode.Suggest,
            var other => throw new ConfigProblemException(node, $"'labels' must be apply or suggest, not '{other}'"),
        };

    private static string ReadScalar(YamlNode node, string key) =>
        node is YamlScalarNode scalar
            ? scalar.Value ?? string.Empty
            : throw new ConfigProblemException(node, $"'{key}' must be a single value");

    private static List<string> ReadList(YamlNode node, string key)
    {
        IEnumerable<YamlNode> items = node switch
        {
            YamlSequenceNode sequence => sequence.Children,
            YamlScalarNode { Value: null or "" } => [],
            YamlScalarNode scalar => [scalar],
            _ => throw new ConfigProblemException(node, $"'{key}' must be a list of paths"),
        };
        var patterns = items.Select(item => ReadScalar(item, key).Trim()).Where(p => p.Length > 0).ToList();
        return patterns.Count <= MaxIgnorePatterns
            ? patterns
            : throw new ConfigProblemException(node, $"'{key}' may list at most {MaxIgnorePatterns} paths");
    }

    private static string Describe(YamlException exception)
    {
        // YamlDotNet prefixes "(Line: 2, Col: 3, Idx: 9) - (Line: …): "; the line is reported separately.
        var message = exception.Message;
        var separator = message.IndexOf("): ", StringComparison.Ordinal);
        return (separator >= 0 ? message[(separator + 3)..] : message).Trim();
    }

    private sealed class ConfigProblemException(YamlNode node, string problem)
        : Exception($"line {node.Start.Line}: {problem}");
}
