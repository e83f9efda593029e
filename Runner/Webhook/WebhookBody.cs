using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Runner.Webhook;

/// <summary>Reads a delivery's raw body (the bytes GitHub signed) and the JSON payload inside it.</summary>
internal static class WebhookBody
{
    private const string FormContentType = "application/x-www-form-urlencoded";

    /// <returns>The raw body, or null when it is larger than <paramref name="maxBytes"/>.</returns>
    public static async Task<byte[]?> ReadAsync(Stream body, long? contentLength, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream((int)Math.Min(contentLength ?? 16 * 1024, maxBytes));
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// GitHub sends the payload as the JSON body, or, for hooks set to <c>application/x-www-form-urlencoded</c>,
    /// as the <c>payload</c> form field. Either way the job carries the JSON.
    /// </summary>
    public static bool TryReadPayload(string? contentType, byte[] body, out string payload, out PayloadSummary summary)
    {
        payload = string.Empty;
        summary = new PayloadSummary(null, null);
        if (contentType is not null && contentType.StartsWith(FormContentType, StringComparison.OrdinalIgnoreCase))
        {
            var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
            if (!form.TryGetValue("payload", out var values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
            {
                return false;
            }

            payload = values[0]!;
        }
        else
        {
            payload = Encoding.UTF8.GetString(body);
        }

        try
        {
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            summary = PayloadSummary.From(document.RootElement);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>What the receiver's log line says about a delivery.</summary>
internal sealed record PayloadSummary(string? Action, string? Repository)
{
    public static PayloadSummary From(JsonElement root)
    {
        var action = root.TryGetProperty("action", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
        var repository = root.TryGetProperty("repository", out var r) && r.ValueKind == JsonValueKind.Object
                         && r.TryGetProperty("full_name", out var name) && name.ValueKind == JsonValueKind.String
            ? name.GetString()
            : null;
        return new PayloadSummary(action, repository);
    }
}
