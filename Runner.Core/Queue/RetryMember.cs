using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>
/// Encodes an entry's fields as one retry sorted-set member: netstrings (<c>len:bytes</c>) of field, value, field,
/// value…, decoded by the MoveDue script. Byte-exact, so a payload comes back exactly as the producer wrote it.
/// </summary>
internal static class RetryMember
{
    public static RedisValue Encode(IEnumerable<NameValueEntry> fields)
    {
        using var buffer = new MemoryStream();
        foreach (var field in fields)
        {
            Append(buffer, field.Name);
            Append(buffer, field.Value);
        }

        return buffer.ToArray();
    }

    /// <summary>The fields of a copy of <paramref name="fields"/> whose <c>attempt</c> is <paramref name="attempt"/>.</summary>
    public static IEnumerable<NameValueEntry> WithAttempt(IEnumerable<NameValueEntry> fields, int attempt)
    {
        foreach (var field in fields)
        {
            if (field.Name != JobFields.Attempt)
            {
                yield return field;
            }
        }

        yield return new NameValueEntry(JobFields.Attempt, attempt.ToString(CultureInfo.InvariantCulture));
    }

    private static void Append(MemoryStream buffer, RedisValue value)
    {
        var bytes = (byte[]?)value ?? [];
        buffer.Write(Encoding.ASCII.GetBytes(bytes.Length.ToString(CultureInfo.InvariantCulture) + ":"));
        buffer.Write(bytes);
    }
}
