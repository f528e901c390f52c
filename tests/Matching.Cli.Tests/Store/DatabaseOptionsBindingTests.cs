using System.Text.Json;
using Matching.Cli.Store;
using Matching.Data;
using Microsoft.Data.Sqlite;

namespace Matching.Cli.Tests.Store;

/// <summary>The CLI's database defaults against the API's.</summary>
public sealed class DatabaseOptionsBindingTests
{
    [Test]
    public void With_no_connection_the_CLI_uses_the_database_the_API_creates_when_both_run_as_the_README_says()
    {
        var root = RepositoryRoot();
        var api = Path.Combine(root, "src", "Matching.Api");
        // `dotnet run --project src/Matching.Api` runs the API in its project folder, in Development.
        var folder = DataFolder(Path.Combine(api, "appsettings.Development.json")) ?? DataFolder(Path.Combine(api, "appsettings.json")) ?? new DatabaseOptions().DataFolder;
        var apiFile = Path.GetFullPath(Path.Combine(api, DatabaseOptions.SqliteFile(folder)));
        // `dotnet run --project src/Matching.Cli -- db status` runs the CLI in the repository root.
        var cliConnection = DatabaseOptionsBinding.DefaultConnection(_ => null);
        var cliFile = Path.GetFullPath(Path.Combine(root, new SqliteConnectionStringBuilder(cliConnection).DataSource));

        Assert.That(cliFile, Is.EqualTo(apiFile));
    }

    [Test]
    public void The_CLI_reads_the_same_database_settings_as_the_API()
    {
        var folder = Path.Combine(Path.GetTempPath(), "elsewhere");
        var fromFolder = DatabaseOptionsBinding.DefaultConnection(name => name == "Matching__Database__DataFolder" ? folder : null);
        var fromConnection = DatabaseOptionsBinding.DefaultConnection(name => name switch
        {
            "Matching__Database__ConnectionString" => "Data Source=x.db",
            "Matching__Database__DataFolder" => folder,
            _ => null,
        });

        Assert.That(fromFolder, Is.EqualTo($"Data Source={Path.Combine(folder, "matching.db")}"));
        Assert.That(fromConnection, Is.EqualTo("Data Source=x.db"));
    }

    // Matching:Database:DataFolder of an appsettings file (comments allowed, as the host reads them), or null.
    private static string? DataFolder(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return json.RootElement.TryGetProperty("Matching", out var m) && m.TryGetProperty("Database", out var d) && d.TryGetProperty("DataFolder", out var f)
            ? f.GetString()
            : null;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Matching.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The tests run outside the repository.");
    }
}
