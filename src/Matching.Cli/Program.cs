using System.CommandLine;
using Matching.Cli.Ltr;
using Spectre.Console;

// The `matching` executable: one line per command group.
var root = new RootCommand("Matching tools.");
root.Subcommands.Add(LtrCommands.Create(AnsiConsole.Console));
return await root.Parse(args).InvokeAsync();
