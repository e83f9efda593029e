namespace Runner.Core.GitHub;

/// <summary>A repository as <c>owner/name</c>.</summary>
public sealed record RepositoryRef(string Owner, string Name)
{
    public string FullName => $"{Owner}/{Name}";

    public override string ToString() => FullName;

    public static RepositoryRef Parse(string fullName)
    {
        var slash = fullName.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == fullName.Length - 1 || fullName.IndexOf('/', slash + 1) >= 0)
        {
            throw new FormatException($"'{fullName}' is not an owner/name repository");
        }

        return new RepositoryRef(fullName[..slash], fullName[(slash + 1)..]);
    }
}
