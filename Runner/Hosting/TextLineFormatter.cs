using System.Buffers;
using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;
using Serilog.Parsing;

namespace Runner.Hosting;

/// <summary>
/// Writes exactly what <see cref="MessageTemplateTextFormatter"/> writes for <see cref="LoggingSetup.TextTemplate"/>
/// with the invariant culture, without its per-token dispatch and custom date format parsing: the per-job lines are
/// the bulk of a busy worker's log. Only events made of plain pieces take the fast path (text, string scalars written
/// raw as <c>:lj</c> does, whole and real numbers); anything else (alignment, destructuring, structures, sequences,
/// a missing property, null, other scalar types) is rendered by Serilog's own formatter, so output never differs
/// (<c>TextLineFormatterTests</c> renders both and compares).
/// </summary>
internal sealed class TextLineFormatter : ITextFormatter
{
    private static readonly string[] Levels = ["VRB", "DBG", "INF", "WRN", "ERR", "FTL"];

    private readonly MessageTemplateTextFormatter fallback = new(LoggingSetup.TextTemplate, CultureInfo.InvariantCulture);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);

        var line = new LineBuffer(stackalloc char[512]);
        try
        {
            if (!TryRender(logEvent, ref line))
            {
                fallback.Format(logEvent, output);
                return;
            }

            output.Write(line.Written);
        }
        finally
        {
            line.Dispose();
        }

        // {Exception}: Serilog writes the exception's ToString() and a new line, nothing when there is none.
        if (logEvent.Exception is { } exception)
        {
            output.Write(exception.ToString());
            output.Write(Environment.NewLine);
        }
    }

    /// <summary>Whether the event is written without Serilog's formatter (tests: the job lines must be).</summary>
    internal static bool TakesFastPath(LogEvent logEvent)
    {
        var line = new LineBuffer(stackalloc char[512]);
        try
        {
            return TryRender(logEvent, ref line);
        }
        finally
        {
            line.Dispose();
        }
    }

    /// <summary>Everything up to and including {NewLine}, or false (nothing written) when the event needs Serilog.</summary>
    private static bool TryRender(LogEvent logEvent, ref LineBuffer line)
    {
        var level = (int)logEvent.Level;
        if ((uint)level >= (uint)Levels.Length)
        {
            return false;
        }

        var properties = logEvent.Properties;
        string? source = null;
        if (properties.TryGetValue("SourceContext", out var sourceValue))
        {
            // {SourceContext:l}: a string as is; anything else goes through Serilog's rendering.
            if (sourceValue is not ScalarValue { Value: string text })
            {
                return false;
            }

            source = text;
        }

        // {Timestamp:yyyy-MM-dd HH:mm:ss.fff}: the offset's own clock time, milliseconds truncated as "fff" does.
        var clock = logEvent.Timestamp.DateTime;
        clock.Deconstruct(out int year, out int month, out int day);
        var time = clock.Ticks % TimeSpan.TicksPerDay;
        var stamp = line.Take(23);
        Digits(stamp, 0, year, 4);
        stamp[4] = '-';
        Digits(stamp, 5, month, 2);
        stamp[7] = '-';
        Digits(stamp, 8, day, 2);
        stamp[10] = ' ';
        Digits(stamp, 11, (int)(time / TimeSpan.TicksPerHour), 2);
        stamp[13] = ':';
        Digits(stamp, 14, (int)(time / TimeSpan.TicksPerMinute % 60), 2);
        stamp[16] = ':';
        Digits(stamp, 17, (int)(time / TimeSpan.TicksPerSecond % 60), 2);
        stamp[19] = '.';
        Digits(stamp, 20, (int)(time / TimeSpan.TicksPerMillisecond % 1000), 3);

        line.Append(' ');
        line.Append(Levels[level]);
        line.Append(' ');
        if (source is not null)
        {
            line.Append(source);
        }

        line.Append(": ");

        // {Message:lj}. Tokens is an array behind IEnumerable: walked as one, no enumerator is allocated.
        var tokens = logEvent.MessageTemplate.Tokens;
        if (tokens is not MessageTemplateToken[] array)
        {
            return false;
        }

        foreach (var token in array)
        {
            if (token is TextToken text)
            {
                line.Append(text.Text);
                continue;
            }

            var property = (PropertyToken)token;
            if (property.Alignment.HasValue || property.Destructuring != Destructuring.Default || property.IsPositional
                || !properties.TryGetValue(property.PropertyName, out var value) || value is not ScalarValue scalar
                || scalar.GetType() != typeof(ScalarValue))
            {
                // A derived ScalarValue may render itself differently: Serilog calls its Render for formatted numbers.
                return false;
            }

            var format = property.Format;
            switch (scalar.Value)
            {
                // "l": a string is written raw whatever its format.
                case string s:
                    line.Append(s);
                    break;
                // With a format: IFormattable.ToString(format, invariant). Without: "j", the JSON number.
                case int i:
                    line.AppendFormatted(i, format);
                    break;
                case long l:
                    line.AppendFormatted(l, format);
                    break;
                case double d when format is not null:
                    line.AppendFormatted(d, format);
                    break;
                case double d when double.IsFinite(d):
                    line.AppendFormatted(d, "R");
                    break;
                default:
                    return false;
            }
        }

        line.Append(Environment.NewLine);
        return true;
    }

    private static void Digits(Span<char> target, int at, int value, int count)
    {
        for (var i = at + count - 1; i >= at; i--)
        {
            target[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>One line in a stack buffer, moved to a pooled array when it outgrows it.</summary>
    private ref struct LineBuffer(Span<char> initial)
    {
        private Span<char> buffer = initial;
        private char[]? rented;
        private int length;

        public readonly ReadOnlySpan<char> Written => buffer[..length];

        public Span<char> Take(int count)
        {
            Ensure(count);
            var taken = buffer.Slice(length, count);
            length += count;
            return taken;
        }

        public void Append(char value) => Take(1)[0] = value;

        public void Append(ReadOnlySpan<char> value) => value.CopyTo(Take(value.Length));

        public void AppendFormatted<T>(T value, string? format)
            where T : ISpanFormattable
        {
            int written;
            while (!value.TryFormat(buffer[length..], out written, format, CultureInfo.InvariantCulture))
            {
                Ensure(buffer.Length - length + 1);
            }

            length += written;
        }

        public void Dispose()
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
                rented = null;
            }
        }

        private void Ensure(int count)
        {
            if (length + count <= buffer.Length)
            {
                return;
            }

            var grown = ArrayPool<char>.Shared.Rent(Math.Max(buffer.Length * 2, length + count));
            buffer[..length].CopyTo(grown);
            Dispose();
            rented = grown;
            buffer = grown;
        }
    }
}
