using Runner.Bench;

const string Usage = "usage: Runner.Bench queue [--jobs N] [--samples N] [--idle-seconds N] | Runner.Bench peer-worker (driven by bench/peer/run.sh)";

if (args is ["peer-worker"])
{
    return await PeerWorker.RunAsync();
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
