namespace Runner.Core.Agent.Triage;

internal enum LabelOutcome
{
    /// <summary>Configuration says <c>labels: suggest</c> (the default).</summary>
    Suggested,

    /// <summary>Added to the issue.</summary>
    Applied,

    /// <summary><c>labels: apply</c>, but GitHub refused (403/404: the App lacks permission): suggested instead.</summary>
    ApplyRefused,

    /// <summary><c>labels: apply</c>, but GitHub rejected the labels themselves (422): suggested instead, with GitHub's reason.</summary>
    ApplyRejected,
}

/// <summary>What became of the labels, and for <see cref="LabelOutcome.ApplyRejected"/> what GitHub said.</summary>
internal sealed record LabelResult(LabelOutcome Outcome, string GitHubSaid = "")
{
    public static LabelResult Suggested { get; } = new(LabelOutcome.Suggested);

    public static LabelResult Applied { get; } = new(LabelOutcome.Applied);

    public override string ToString() => GitHubSaid.Length > 0 ? $"{Outcome}: {GitHubSaid}" : Outcome.ToString();
}
