using System.Globalization;
using Octokit;

namespace Runner.Core.Agent.Triage;

/// <summary>GitHub's own words for a rejected label: the 422's message and its validation errors.</summary>
internal static class LabelRejection
{
    private const int MaxErrors = 3;

    /// <summary>E.g. <c>422 Validation Failed: Label name invalid</c>, or the error's own message when it has one.</summary>
    public static string Describe(ApiException exception)
    {
        var status = ((int)exception.StatusCode).ToString(CultureInfo.InvariantCulture);
        var message = exception.ApiError?.Message is { Length: > 0 } said ? said : exception.Message;
        var details = (exception.ApiError?.Errors ?? [])
            .Select(e => e.Message is { Length: > 0 } text
                ? text
                : string.Join(' ', new[] { e.Resource, e.Field, e.Code }.Where(p => !string.IsNullOrEmpty(p))))
            .Where(d => d.Length > 0)
            .Take(MaxErrors)
            .ToList();
        return details.Count == 0 ? $"{status} {message}" : $"{status} {message}: {string.Join("; ", details)}";
    }
}
