namespace Runner.Core.Agent.Triage;

/// <summary>The model's triage, as it answered (before checking labels and duplicates against GitHub).</summary>
internal sealed record TriageAnswer(
    string Summary,
    IReadOnlyList<string> Labels,
    IReadOnlyList<DuplicateClaim> Duplicates,
    IReadOnlyList<string> MissingInformation);

internal sealed record DuplicateClaim(int Number, string Reason);
