using Serilog.Core;
using Serilog.Events;

namespace Runner.Tests.Ops;

/// <summary>Keeps every event a Serilog logger writes, for tests that look at the events themselves.</summary>
internal sealed class CollectingSink : ILogEventSink
{
    public List<LogEvent> Events { get; } = [];

    public void Emit(LogEvent logEvent) => Events.Add(logEvent);
}
