using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Runner.Sandbox;

/// <summary>One entry of a test tarball; <see cref="Name"/> is used verbatim (no top folder added) when <see cref="Raw"/>.</summary>
internal sealed record TarballEntry(string Name, byte[] Content, TarEntryType Type = TarEntryType.RegularFile, string? LinkName = null, bool Raw = false)
{
    public static TarballEntry Text(string name, string text) => new(name, Encoding.UTF8.GetBytes(text));
}

/// <summary>Builds tarballs the way GitHub's codeload serves them: gzip, a pax global header carrying the
/// commit, and every path under one <c>owner-repo-sha/</c> folder.</summary>
internal static class TarballBuilder
{
    public static byte[] Build(string topFolder, string sha, IEnumerable<TarballEntry> entries)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string> { ["comment"] = sha }));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, topFolder + "/"));
            foreach (var entry in entries)
            {
                var name = entry.Raw ? entry.Name : $"{topFolder}/{entry.Name}";
                var tarEntry = new PaxTarEntry(entry.Type, name);
                if (entry.LinkName is not null)
                {
                    tarEntry.LinkName = entry.LinkName;
                }

                if (entry.Type == TarEntryType.RegularFile)
                {
                    tarEntry.DataStream = new MemoryStream(entry.Content);
                }

                writer.WriteEntry(tarEntry);
            }
        }

        return output.ToArray();
    }
}
