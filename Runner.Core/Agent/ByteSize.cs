using System.Globalization;

namespace Runner.Core.Agent;

internal static class ByteSize
{
    public static string Format(long bytes) => bytes switch
    {
        >= 1024L * 1024 => $"{(bytes / (1024d * 1024)).ToString("0.#", CultureInfo.InvariantCulture)} MB",
        >= 1024 => $"{(bytes / 1024d).ToString("0.#", CultureInfo.InvariantCulture)} KB",
        _ => $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes",
    };
}
