using System.CommandLine;
using Matching.Cli.Learning;
using Matching.Cli.Ltr;
using Matching.Cli.Store;
using Spectre.Console;

// The `matching` executable: one line per command group.
var root = new RootCommand("Matching tools.");
root.Subcommands.Add(LtrCommands.Create(AnsiConsole.Console));
root.Subcommands.Add(DbCommands.Create(AnsiConsole.Console));
root.Subcommands.Add(SimulateCommand.Create(AnsiConsole.Console));
root.Subcommands.Add(EvaluateCommand.Create(AnsiConsole.Console));
root.Subcommands.Add(TrainCommand.Create(AnsiConsole.Console));
return await root.Parse(args).InvokeAsync();
