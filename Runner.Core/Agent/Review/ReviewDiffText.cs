using System.Globalization;
using System.Text;
using Runner.Core.Agent.Prompting;

namespace Runner.Core.Agent.Review;

/// <summary>The diff part of a review prompt: each selected file's hunks with new-side line numbers, then what was left out.</summary>
internal static class ReviewDiffText
{
    public const string Label = "Pull request diff (new-side line numbers on the left; comment only on numbered lines)";

    /// <summary>
    /// File names and code are the pull request author's text, so the whole diff is one fenced untrusted block.
    /// Invisible characters are removed (line structure kept, so numbers stay right); HTML comments are kept,
    /// because in code they are code.
    /// </summary>
    public static string Render(ReviewSelection selection, int maxChars)
    {
        var text = new StringBuilder();
        foreach (var (file, patch) in selection.Included)
        {
            text.Append(CultureInfo.InvariantCulture, $"=== {file.Path} ({file.Status}{(file.PreviousPath is { } previous ? $", was {previous}" : string.Empty)})\n");
            text.Append(patch.Render()).Append("\n\n");
        }

        if (selection.Skipped.Count > 0)
        {
            text.Append("Not shown (say so if they matter):\n");
            foreach (var skipped in selection.Skipped)
            {
                text.Append(CultureInfo.InvariantCulture, $"- {skipped.Path}: {skipped.Describe()}\n");
            }
        }

        return UntrustedText.Block(Label, UntrustedText.RemoveInvisible(text.ToString().TrimEnd('\n')), maxChars);
    }
}
