namespace Runner.Core.Agent.Triage;

/// <summary>An issue that may duplicate the one being triaged.</summary>
internal sealed record CandidateIssue(int Number, string Title, string Body, string HtmlUrl, bool IsOpen);
