namespace Runner.Tests;

/// <summary>
/// Waiting for something another thread or process does, with NUnit's delayed constraint polling the condition:
/// the test goes on as soon as it holds and fails naming <c>what</c> when it never does.
/// </summary>
internal static class Eventually
{
    public static Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan timeout) =>
        Assert.ThatAsync(condition, Is.True.After((int)timeout.TotalMilliseconds, 10), $"timed out waiting for: {what}");

    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan timeout) =>
        HoldsAsync(() => Task.FromResult(condition()), what, timeout);
}
