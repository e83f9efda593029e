using Runner.Bench;

if (args.Length == 0 || args[0] != "queue")
{
    await Console.Error.WriteLineAsync("usage: Runner.Bench queue [--jobs N] [--samples N] [--idle-seconds N]");
    return 2;
}

var settings = QueueBenchSettings.Parse(args[1..]);
if (settings is null)
{
    await Console.Error.WriteLineAsync("usage: Runner.Bench queue [--jobs N] [--samples N] [--idle-seconds N]");
    return 2;
}

await new QueueBench(settings).RunAsync();
return 0;
