using System.Net;
using System.Text.Json;
using Runner.Core.Queue;

namespace Runner.Core.GitHub;

/// <summary>Builds the job exceptions for failed GitHub calls: named operation, subject and status, never a credential.</summary>
internal static class GitHubFailures
{
    private const int MaxMessageLength = 200;

    /// <summary>4xx cannot be fixed by retrying the same request (limits were handled below); 5xx and 408 can.</summary>
    public static Exception ForStatus(string operation, string subject, HttpStatusCode status, string? gitHubMessage,
        string? hint, Exception? inner = null)
    {
        var code = (int)status;
        var text = $"GitHub {operation} for {subject} answered {code} {Reason(status)}"
            + (string.IsNullOrWhiteSpace(gitHubMessage) ? string.Empty : $": {gitHubMessage}")
            + (hint is null ? string.Empty : $" ({hint})");
        return IsPermanent(status)
            ? new PermanentJobException(text, inner)
            : new TransientJobException(text, null, inner);
    }

    public static bool IsPermanent(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && status is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);

    /// <summary>GitHub's <c>message</c> field, shortened; GitHub does not echo credentials in it.</summary>
    public static string? MessageOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                var value = message.GetString() ?? string.Empty;
                return value.Length <= MaxMessageLength ? value : value[..MaxMessageLength] + "…";
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static string Reason(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.UnprocessableEntity => "Unprocessable Entity",
        _ => status.ToString(),
    };
}
