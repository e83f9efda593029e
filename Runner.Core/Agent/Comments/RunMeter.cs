namespace Runner.Core.Agent.Comments;

/// <summary>What a run has spent so far, kept outside the task so a failure comment can still report it.</summary>
internal sealed class RunMeter(long startedTimestamp)
{
    private int tokens;

    /// <summary>When the run started, as a <see cref="TimeProvider"/> timestamp.</summary>
    public long Started => startedTimestamp;

    public string? Model { get; private set; }

    public int Tokens => Volatile.Read(ref tokens);

    public void Record(string model, int callTokens)
    {
        Model = model;
        Interlocked.Add(ref tokens, callTokens);
    }
}
