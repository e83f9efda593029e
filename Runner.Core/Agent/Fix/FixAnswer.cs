using Runner.Core.Agent.Prompting;

namespace Runner.Core.Agent.Fix;

/// <summary>The final answer of a fix run: the pull request's title and description.</summary>
internal sealed record FixAnswer(string Title, string Body);

/// <summary>Reads <c>{"title": "...", "body": "..."}</c> from the model's final answer, fenced or with prose around it.</summary>
internal static class FixAnswerParser
{
    public const int MaxTitleChars = 200;

    public const string RepairPrompt =
        "Your last answer could not be read. Answer again with only one JSON object, no prose and no code fence: "
        + "{\"title\": \"short pull request title\", \"body\": \"what you changed and why\"}.";

    public static FixAnswer? TryParse(string text) => JsonAnswerText.FirstObject(text, root =>
    {
        var title = JsonAnswerText.String(root, "title")?.Trim();
        if (string.IsNullOrEmpty(title))
        {
            return null;
        }

        title = string.Join(' ', title.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return new FixAnswer(title.Length > MaxTitleChars ? title[..MaxTitleChars].TrimEnd() + "…" : title,
            JsonAnswerText.String(root, "body")?.Trim() ?? string.Empty);
    });
}
