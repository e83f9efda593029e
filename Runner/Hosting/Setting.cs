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

/// <summary>One environment variable of the banner, with the default the code applies when it is unset.</summary>
/// <param name="Default">
/// What applies when unset, as an operator would write it; <see cref="OwnDefault"/> when the owning area has a
/// default this assembly does not know; null when unset means "none".
/// </param>
internal sealed record Setting(string Variable, string? Default, SettingKind Kind = SettingKind.Plain)
{
    public const string OwnDefault = "";
}
