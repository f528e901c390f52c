using System.Diagnostics;

namespace Matching.Cli.Tests;

/// <summary>The real <c>matching</c> executable with its output redirected, as a script, a pipe or a log file gets it.</summary>
public sealed class ProgramTests
{
    private string _folder = null!;

    [SetUp]
    public void NewFolder() => Directory.CreateDirectory(_folder = Path.Combine(Path.GetTempPath(), $"matching-cli-{Guid.NewGuid():N}"));

    [TearDown]
    public void DeleteFolder()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    public async Task Redirected_output_is_plain_unwrapped_text_and_simulate_shows_its_progress()
    {
        // A path far longer than 80 columns, as report and truth paths are.
        var deep = Path.Combine(_folder, "a-folder-with-a-long-name-for-reports", "another-folder-with-a-long-name", "truth-of-the-simulated-world.json");

        var (code, output) = await RunAsync("simulate", "--therapists", "20", "--clients", "150", "--weeks", "4", "--seed", "5",
            "--connection", $"Data Source={Path.Combine(_folder, "sim.db")}", "--truth", deep);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, output);
            Assert.That(output, Does.Not.Contain("\u001b"), "no ANSI escape codes");
            Assert.That(output.Split('\n').Any(line => line.Contains(deep, StringComparison.Ordinal)), Is.True, $"the path on one line:\n{output}");
            Assert.That(output, Does.Contain("Simulate 20 therapists and 150 clients"));
            Assert.That(output, Does.Contain("Write directory and history"));
            Assert.That(output, Does.Contain("Write hidden truth"));
        });
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "matching.dll"), .. args])
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // What a colour terminal's environment says; the output is still a pipe.
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLORTERM"] = "truecolor";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await errors);
    }
}
