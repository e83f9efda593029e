using System.Globalization;
using System.Text;

namespace Runner.Core.Queue;

/// <summary>Plain-text rendering of the queue verbs' results: aligned, one fact per line, greppable.</summary>
public static class QueueStatusText
{
    public static string Format(QueueStatus status)
    {
        var text = new StringBuilder();
        Line(text, "stream", $"{status.Stream}  length {status.Length}");
        if (status.GroupExists)
        {
            Line(text, "group", $"{status.Group}  last delivered {status.LastDeliveredId}  lag {(status.Lag?.ToString(CultureInfo.InvariantCulture) ?? "unknown")}  pending {status.Pending}");
        }
        else
        {
            Line(text, "group", $"{status.Group}  not created yet (a worker creates it when it starts)");
        }

        Line(text, "consumers", status.Consumers.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var consumer in status.Consumers)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {consumer.Name,-32} pending {consumer.Pending,-6} idle {consumer.Idle.TotalSeconds:0.0} s\n");
        }

        Line(text, "retries", $"{status.ScheduledRetries} scheduled");
        Line(text, "dead", $"{status.Dead} entries");
        foreach (var window in status.Throughput)
        {
            Line(text, $"last {window.Window.TotalMinutes:0} min", $"{window.Processed} processed  {window.Retried} retried  {window.Dead} dead");
        }

        return text.ToString();
    }

    public static string Format(IReadOnlyList<DeadJob> dead)
    {
        if (dead.Count == 0)
        {
            return "no dead entries\n";
        }

        var text = new StringBuilder();
        foreach (var job in dead)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{job.Id}  {job.FailedAt ?? "-"}  {job.Event ?? "-"}  {job.Delivery ?? "-"}  attempts={job.Attempts?.ToString(CultureInfo.InvariantCulture) ?? "-"}  {job.Error}\n");
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string label, string value) =>
        text.Append(CultureInfo.InvariantCulture, $"{label,-12} {value}\n");
}
