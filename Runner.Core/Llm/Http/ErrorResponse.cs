using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Runner.Core.Llm.Wire;

namespace Runner.Core.Llm.Http;

/// <summary>What a non-2xx answer said: the reason text and how long the server asked us to wait.</summary>
internal static class ErrorResponse
{
    private const int MaxBodyBytes = 16 * 1024;
    private const int MaxReasonLength = 300;

    /// <summary>Reads at most 16 KiB of the body: an error page must not hold the attempt.</summary>
    public static async Task<string> ReadReasonAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxBodyBytes];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return Reason(Encoding.UTF8.GetString(buffer, 0, total));
    }

    /// <summary>The server's message: <c>{"error": "..."}</c> (Ollama), <c>{"error": {"message": ...}}</c> (OpenAI) or the text.</summary>
    public static string Reason(string body)
    {
        var text = body.Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                if (root.TryGetProperty("error", out var error))
                {
                    text = WireJson.ErrorText(error);
                }
                else if (WireJson.GetString(root, "message") is { } message)
                {
                    text = message;
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: keep the text.
            }
        }

        text = string.Join(' ', text.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return text.Length <= MaxReasonLength ? text : text[..MaxReasonLength] + "…";
    }

    /// <summary>
    /// How long the server asked to wait: <c>retry-after-ms</c> (most precise), else <c>Retry-After</c> as
    /// delta-seconds or HTTP-date (relative to <paramref name="now"/>). Null when it did not say.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.TryGetValues("retry-after-ms", out var values)
            && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var milliseconds)
            && milliseconds >= 0)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        var retryAfter = headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
