using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>Turns a stream entry into a <see cref="Job"/>, or says which field breaks the job contract.</summary>
internal static class JobParser
{
    internal const int MaxDeliveryLength = 200;

    public static ParsedEntry Parse(StreamEntry entry)
    {
        var id = entry.Id.ToString();
        var eventName = First(entry, JobFields.Event);
        var delivery = First(entry, JobFields.Delivery);
        var payload = First(entry, JobFields.Payload);
        if (string.IsNullOrWhiteSpace(eventName))
        {
            return ParsedEntry.Malformed(id, delivery, "malformed entry: field 'event' is missing or empty");
        }

        if (string.IsNullOrWhiteSpace(delivery) || delivery.Length > MaxDeliveryLength)
        {
            return ParsedEntry.Malformed(id, null, $"malformed entry: field 'delivery' is missing, empty or longer than {MaxDeliveryLength} characters");
        }

        if (string.IsNullOrWhiteSpace(payload))
        {
            return ParsedEntry.Malformed(id, delivery, "malformed entry: field 'payload' is missing or empty");
        }

        var attempt = 1;
        var attemptText = First(entry, JobFields.Attempt);
        if (attemptText is not null
            && (!int.TryParse(attemptText, NumberStyles.None, CultureInfo.InvariantCulture, out attempt) || attempt < 1))
        {
            return ParsedEntry.Malformed(id, delivery, "malformed entry: field 'attempt' must be a whole number from 1");
        }

        string? repository;
        try
        {
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return ParsedEntry.Malformed(id, delivery, "malformed entry: field 'payload' must be a JSON object (the webhook body)");
            }

            repository = ReadRepository(document.RootElement);
        }
        catch (JsonException)
        {
            return ParsedEntry.Malformed(id, delivery, "malformed entry: field 'payload' is not valid JSON");
        }

        var job = new Job(id, eventName, delivery, payload, attempt, ParseEnqueuedAt(First(entry, JobFields.EnqueuedAt)));
        return new ParsedEntry(id, job, repository, delivery, null);
    }

    /// <summary>Unix milliseconds (what <see cref="JobProducer"/> writes) or ISO 8601; anything else is ignored, it only feeds a metric.</summary>
    internal static DateTimeOffset? ParseEnqueuedAt(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            return milliseconds is > 0 and < 253_402_300_800_000 ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value : null;
    }

    private static string? ReadRepository(JsonElement root) =>
        root.TryGetProperty("repository", out var repository)
        && repository.ValueKind == JsonValueKind.Object
        && repository.TryGetProperty("full_name", out var fullName)
        && fullName.ValueKind == JsonValueKind.String
            ? fullName.GetString()
            : null;

    private static string? First(StreamEntry entry, string name)
    {
        foreach (var field in entry.Values)
        {
            if (field.Name == name)
            {
                return field.Value.IsNull ? null : field.Value.ToString();
            }
        }

        return null;
    }
}

/// <summary>A parsed entry: <see cref="Job"/> is set when it meets the job contract, <see cref="Error"/> otherwise.</summary>
internal sealed record ParsedEntry(string StreamId, Job? Job, string? Repository, string? Delivery, string? Error)
{
    public static ParsedEntry Malformed(string streamId, string? delivery, string error) => new(streamId, null, null, delivery, error);
}
