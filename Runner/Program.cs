using Runner.Cli;

return await RunnerCli.InvokeAsync(args);
