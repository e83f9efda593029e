using Runner.Bench;

const string Usage = "usage: Runner.Bench queue [--jobs N] [--samples N] [--idle-seconds N] | Runner.Bench console-format [--events N] | Runner.Bench console-log [--jobs N] | Runner.Bench peer-worker (driven by bench/peer/run.sh)";

if (args is ["peer-worker"])
{
    return await PeerWorker.RunAsync();
}

if (args is ["console-format", ..])
{
    var events = 200_000;
    if (args is not ["console-format"]
        && !(args is [_, "--events", var count] && int.TryParse(count, System.Globalization.CultureInfo.InvariantCulture, out events) && events > 0))
    {
        await Console.Error.WriteLineAsync(Usage);
        return 2;
    }

    ConsoleFormatBench.Run(events);
    return 0;
}

if (args is ["console-log", ..])
{
    var jobs = 200_000;
    if (args is not ["console-log"]
        && !(args is [_, "--jobs", var count] && int.TryParse(count, System.Globalization.CultureInfo.InvariantCulture, out jobs) && jobs > 0))
    {
        await Console.Error.WriteLineAsync(Usage);
        return 2;
    }

    ConsoleLogBench.Run(jobs);
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
