using System.Globalization;

namespace Runner.Core.Agent.Comments;

/// <summary>The line every Runner comment ends with: which model, how many tokens, how long.</summary>
internal static class CommentFooter
{
    public static string Render(string? model, int tokens, TimeSpan duration)
    {
        var what = model is null
            ? "no model call"
            : $"model {MarkdownText.Code(model)} · {tokens.ToString("N0", CultureInfo.InvariantCulture)} tokens";
        return $"\n\n---\n<sub>Runner · {what} · {duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s</sub>";
    }
}
