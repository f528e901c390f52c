using Spectre.Console;

namespace Matching.Cli;

/// <summary>
/// The console the commands write to. On a terminal Spectre detects colours, width and live
/// progress; redirected to a file or a pipe the output is for reading later or for another
/// program, so it is plain text (no ANSI codes, whatever <c>TERM</c> says), never wrapped (a
/// report path stays one string), and progress is printed as lines rather than redrawn.
/// </summary>
internal static class CliConsole
{
    /// <summary>
    /// Width of a redirected console: wider than any line the commands print, so nothing wraps,
    /// while tables still take only the width their cells need.
    /// </summary>
    public const int PlainWidth = 4096;

    /// <summary>A console writing to <paramref name="output"/>; plain unless <paramref name="isTerminal"/>.</summary>
    public static IAnsiConsole Create(TextWriter output, bool isTerminal)
    {
        if (isTerminal)
        {
            return AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = PlainWidth;
        return console;
    }

    /// <summary>
    /// Runs <paramref name="stages"/> in order and shows where it is: on a terminal a live
    /// progress display, otherwise a line as each stage starts and one as it ends with its time.
    /// </summary>
    public static async Task RunStagesAsync(this IAnsiConsole console, params (string Name, Func<Task> Run)[] stages)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(stages);
        if (console.Profile.Capabilities.Interactive)
        {
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var tasks = stages.Select(s => context.AddTask(s.Name, autoStart: false, maxValue: 1)).ToList();
                    for (var i = 0; i < stages.Length; i++)
                    {
                        tasks[i].StartTask();
                        await stages[i].Run();
                        tasks[i].Value = 1;
                        tasks[i].StopTask();
                    }
                });
            return;
        }

        for (var i = 0; i < stages.Length; i++)
        {
            var (name, run) = stages[i];
            console.WriteLine($"[{i + 1}/{stages.Length}] {name} ...");
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await run();
            console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"[{i + 1}/{stages.Length}] {name}: done in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s"));
        }
    }
}
