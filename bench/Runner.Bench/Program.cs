using Runner.Bench;

const string Usage = "usage: Runner.Bench queue [--jobs N] [--samples N] [--idle-seconds N] | Runner.Bench console-format [--events N] | Runner.Bench console-log [--jobs N] | Runner.Bench peer-worker (driven by bench/peer/run.sh)";

if (args is ["peer-worker"])
{
    return await PeerWorker.RunAsync();
}

if (args is ["console-format", ..] or ["console-log", ..])
{
    // One optional count: --events for console-format, --jobs for console-log.
    var option = args[0] == "console-format" ? "--events" : "--jobs";
    var count = 200_000;
    if (args.Length != 1
        && !(args.Length == 3 && args[1] == option && int.TryParse(args[2], System.Globalization.CultureInfo.InvariantCulture, out count) && count > 0))
    {
        await Console.Error.WriteLineAsync(Usage);
        return 2;
    }

    if (args[0] == "console-format")
    {
        ConsoleFormatBench.Run(count);
    }
    else
    {
        ConsoleLogBench.Run(count);
    }

    return 0;
}

if (args.Length == 0 || args[0] != "queue")
{
    await Console.Error.WriteLineAsync(Usage);
    return 2;
}

var settings = QueueBenchSettings.Parse(args[1..]);
if (settings is null)
{
    await Console.Error.WriteLineAsync(Usage);
    return 2;
}

await new QueueBench(settings).RunAsync();
return 0;
