namespace Runner.Hosting;

/// <summary>How the start-up banner may show a variable's value.</summary>
internal enum SettingKind
{
    /// <summary>Shown as written.</summary>
    Plain,

    /// <summary>Shown only as <c>set</c> or <c>missing</c>.</summary>
    Secret,

    /// <summary>Shown without user info and query, which may carry a password or token.</summary>
    Url,
}

/// <summary>Who reads a variable.</summary>
internal enum SettingScope
{
    /// <summary>The worker (and the verbs that share its configuration).</summary>
    Worker,

    /// <summary>Only <c>runner webhook</c>.</summary>
    Webhook,

    /// <summary>Only docker-compose.yml (interpolation); the binary never reads it.</summary>
    Compose,
}

/// <summary>One environment variable: the default the code applies when it is unset, and what operators are told about it.</summary>
/// <param name="Default">
/// What applies when unset, as an operator would write it; <see cref="OwnDefault"/> when the owning area has a
/// default this assembly does not know; null when unset means "none".
/// </param>
internal sealed record Setting(string Variable, string? Default, SettingKind Kind = SettingKind.Plain)
{
    public const string OwnDefault = "";

    /// <summary>The README's "required" column: <c>no</c>, <c>yes</c>, or when it is needed.</summary>
    public string Required { get; init; } = "no";

    /// <summary>One sentence for the README table and .env.example.</summary>
    public string Meaning { get; init; } = string.Empty;

    public SettingScope Scope { get; init; } = SettingScope.Worker;

    /// <summary>The default as documented, when the code's default depends on the machine (host name, temp dir).</summary>
    public string? DocumentedDefault { get; init; }

    public bool IsRequired => Required.StartsWith("yes", StringComparison.Ordinal);
}
