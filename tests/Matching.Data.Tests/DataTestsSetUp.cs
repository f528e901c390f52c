using Microsoft.Data.Sqlite;

namespace Matching.Data.Tests;

/// <summary>Checks once that SQLite loads; at the end removes the folder the per-test database files live in and any SQL Server container.</summary>
[SetUpFixture]
public sealed class DataTestsSetUp
{
    /// <summary>Every test's SQLite files go in a fresh subfolder of this one.</summary>
    public static string TempRoot { get; } = Path.Combine(Path.GetTempPath(), "matching-data-tests", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [OneTimeSetUp]
    public void CheckSqlite()
    {
        try
        {
            using var connection = new SqliteConnection("Data Source=:memory:");
            connection.Open();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or SqliteException)
        {
            Assert.Fail($"SQLite cannot be loaded, so no data test can run: {e.Message}");
        }

        Directory.CreateDirectory(TempRoot);
    }

    [OneTimeTearDown]
    public async Task RemoveTempRootAndContainer()
    {
        await SqlServerTestServer.StopAsync();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(TempRoot))
        {
            Directory.Delete(TempRoot, recursive: true);
        }
    }
}
