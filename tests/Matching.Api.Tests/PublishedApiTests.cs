using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Matching.Api.Tests;

/// <summary>
/// What `dotnet publish` of the API (the folder the image is made of) carries: no Development
/// settings, no demo API key in any file, and a runtime configuration SqlClient can work in.
/// </summary>
public sealed class PublishedApiTests
{
    private string _output = "";

    [SetUp]
    public void CreateOutput() => _output = Path.Combine(Path.GetTempPath(), $"matching-publish-{Guid.NewGuid():N}");

    [TearDown]
    public void RemoveOutput()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Test]
    public async Task The_published_folder_has_no_development_settings_and_no_demo_key()
    {
        var root = RepositoryRoot();
        var project = Path.Combine(root, "src", "Matching.Api", "Matching.Api.csproj");
        var demoKeys = DemoKeys(Path.Combine(root, "src", "Matching.Api", "appsettings.Development.json"));
        // The same configuration the tests were built in, already built: publish only lays out the folder.
        var configuration = typeof(Program).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

        var (code, log) = await RunAsync("dotnet", "publish", project, "--no-build", "-c", configuration, "-o", _output, "-nologo");

        Assert.That(code, Is.Zero, log);
        var files = Directory.GetFiles(_output, "*", SearchOption.AllDirectories);
        Assert.Multiple(() =>
        {
            Assert.That(files.Select(Path.GetFileName), Does.Contain("Matching.Api.dll").And.Contain("appsettings.json"), "the folder is a real publish");
            Assert.That(files.Select(Path.GetFileName), Has.None.EqualTo("appsettings.Development.json"));
            Assert.That(
                (bool?)JsonNode.Parse(File.ReadAllText(Path.Combine(_output, "Matching.Api.runtimeconfig.json")))!["runtimeOptions"]!["configProperties"]?["System.Globalization.Invariant"],
                Is.Not.True,
                "SqlClient cannot open a connection in globalization-invariant mode");
            Assert.That(demoKeys, Has.Count.GreaterThan(0), "the demo keys were read");
            foreach (var file in files)
            {
                var text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file));
                Assert.That(demoKeys.Where(k => text.Contains(k, StringComparison.Ordinal)), Is.Empty, Path.GetRelativePath(_output, file));
            }
        });
    }

    private static List<string> DemoKeys(string developmentSettings) =>
        JsonNode.Parse(File.ReadAllText(developmentSettings), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!["Matching"]!["ApiKeys"]!.AsArray()
            .Select(k => (string)k!["Key"]!).ToList();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Matching.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Matching.sln above {AppContext.BaseDirectory}.");
    }

    private static async Task<(int Code, string Log)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
