using System.Diagnostics;

namespace Matching.Api.Tests.Infrastructure;

/// <summary>The real service process started as an operator starts it, with configuration that cannot work.</summary>
public sealed class ConfigurationCheckTests
{
    private string _folder = null!;

    [SetUp]
    public void NewFolder() => Directory.CreateDirectory(_folder = Path.Combine(Path.GetTempPath(), $"matching-config-{Guid.NewGuid():N}"));

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestCase(null, "Matching:ApiKeys", TestName = "No keys outside Development (dotnet run --no-launch-profile)")]
    [TestCase("short-key", "at least 16 characters", TestName = "A key too short")]
    public async Task Bad_configuration_stops_the_service_before_any_demo_work_with_one_line_saying_what_to_set(string? key, string named)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Matching__Database__DataFolder"] = Path.Combine(_folder, "data"),
            // A small demo: before the fix it was seeded and trained before the keys were checked.
            ["Matching__Demo__Therapists"] = "30",
            ["Matching__Demo__Clients"] = "200",
        };
        if (key is not null)
        {
            environment["Matching__ApiKeys__0__Name"] = "ops";
            environment["Matching__ApiKeys__0__Key"] = key;
            environment["Matching__ApiKeys__0__Role"] = "Data";
        }

        var (exitCode, output, errors) = await RunApiAsync(environment);
        var errorLines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(errorLines, Has.Length.EqualTo(1), errors);
            Assert.That(errors, Does.Contain(named));
            Assert.That(errors + output, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(Directory.Exists(Path.Combine(_folder, "data")), Is.False, "checked before the database was created, seeded or trained on");
        });
    }

    private async Task<(int ExitCode, string Output, string Errors)> RunApiAsync(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Matching.Api.dll")])
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal) || k.StartsWith("Matching__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["ASPNETCORE_CONTENTROOT"] = AppContext.BaseDirectory;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the service kept running with a configuration that cannot work");
        }

        return (process.ExitCode, await output, await errors);
    }
}
