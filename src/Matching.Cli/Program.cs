using System.CommandLine;
using Matching.Cli.Learning;
using Matching.Cli.Ltr;
using Matching.Cli.Store;
using Matching.Cli;

// The `matching` executable: one line per command group.
var console = CliConsole.Create(Console.Out, isTerminal: !Console.IsOutputRedirected);
var root = new RootCommand("Matching tools.");
root.Subcommands.Add(LtrCommands.Create(console));
root.Subcommands.Add(DbCommands.Create(console));
root.Subcommands.Add(SimulateCommand.Create(console));
root.Subcommands.Add(EvaluateCommand.Create(console));
root.Subcommands.Add(TrainCommand.Create(console));
return await root.Parse(args).InvokeAsync();
