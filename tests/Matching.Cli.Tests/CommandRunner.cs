using System.CommandLine;
using Spectre.Console;

namespace Matching.Cli.Tests;

/// <summary>Runs commands in-process with a plain, wide console and captures everything printed.</summary>
internal static class CommandRunner
{
    public static (int Code, string Output) Run(IEnumerable<Func<IAnsiConsole, Command>> commands, params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        var root = new RootCommand();
        foreach (var create in commands)
        {
            root.Subcommands.Add(create(console));
        }

        var errors = new StringWriter();
        var code = root.Parse(args).Invoke(new InvocationConfiguration { Output = writer, Error = errors });
        return (code, writer + errors.ToString());
    }
}
