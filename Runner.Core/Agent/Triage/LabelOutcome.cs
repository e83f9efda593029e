namespace Runner.Core.Agent.Triage;

internal enum LabelOutcome
{
    /// <summary>Configuration says <c>labels: suggest</c> (the default).</summary>
    Suggested,

    /// <summary>Added to the issue.</summary>
    Applied,

    /// <summary><c>labels: apply</c>, but GitHub refused (the App lacks permission): suggested instead.</summary>
    ApplyRefused,
}
