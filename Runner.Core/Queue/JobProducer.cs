using System.Globalization;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>Adds jobs to the stream exactly as any third-party producer would (<c>XADD runner:jobs * event … delivery … payload …</c>).</summary>
public sealed class JobProducer(IConnectionMultiplexer redis, string stream, TimeProvider timeProvider)
{
    /// <returns>The stream entry id.</returns>
    public async Task<string> EnqueueAsync(string eventName, string delivery, string payload)
    {
        var fields = new NameValueEntry[]
        {
            new(JobFields.Event, eventName),
            new(JobFields.Delivery, delivery),
            new(JobFields.Payload, payload),
            new(JobFields.EnqueuedAt, timeProvider.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
        };
        var id = await redis.GetDatabase().StreamAddAsync(stream, fields);
        return id.ToString();
    }
}
