using DotNet.Testcontainers.Builders;
using Testcontainers.MsSql;

namespace Matching.Data.Tests;

/// <summary>Where the SQL Server tests run: a connection string, or why they are skipped.</summary>
/// <param name="ConnectionString">The server's connection string (its login may create databases); null when skipped.</param>
/// <param name="Description">What was chosen, for the run's report: no secret, no password.</param>
public sealed record SqlServerTarget(string? ConnectionString, string Description);

/// <summary>
/// Picks the SQL Server the tests run on, once per test run, in this order:
/// <list type="number">
/// <item><c>MATCHING_TEST_SQLSERVER</c> when set (a server someone runs for us);</item>
/// <item>otherwise an <c>mssql/server</c> container started through Testcontainers when a Docker
/// daemon is reachable, removed when the run ends;</item>
/// <item>otherwise none: every SQL Server test is reported skipped with the reason.</item>
/// </list>
/// When <c>MATCHING_TEST_SQLSERVER_REPORT</c> names a file, the choice is written there as one line
/// (<c>.ci/run</c> prints it), because a skipped fixture's reason is not shown by <c>dotnet test</c>.
/// </summary>
public static class SqlServerTestServer
{
    public const string Variable = "MATCHING_TEST_SQLSERVER";
    public const string ReportVariable = "MATCHING_TEST_SQLSERVER_REPORT";

    /// <summary>The image Testcontainers starts: SQL Server 2022, pinned (the tag Testcontainers.MsSql 4.16 itself defaults to).</summary>
    public const string Image = "mcr.microsoft.com/mssql/server:2022-CU14-ubuntu-22.04";

    private static readonly Lazy<Task<SqlServerTarget>> Target = new(ResolveAndReportAsync);
    private static MsSqlContainer? _container;

    /// <summary>
    /// The server for this run. The first call decides (and may start a container, about a
    /// minute); later calls get the same answer, or the same failure.
    /// </summary>
    public static Task<SqlServerTarget> GetAsync() => Target.Value;

    /// <summary>Stops and removes the container, if one was started.</summary>
    public static async Task StopAsync()
    {
        if (Target.IsValueCreated && _container is not null)
        {
            await _container.DisposeAsync();
            _container = null;
        }
    }

    private static async Task<SqlServerTarget> ResolveAndReportAsync()
    {
        try
        {
            var target = await ResolveAsync();
            Report(target.Description);
            return target;
        }
        catch (Exception e)
        {
            Report($"failed: a Docker daemon is reachable but the {Image} container did not start ({e.GetType().Name}: {FirstLine(e.Message)})");
            throw;
        }
    }

    private static async Task<SqlServerTarget> ResolveAsync()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var server = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(configured).DataSource;
            return new SqlServerTarget(configured, $"ran against {server} from {Variable}");
        }

        MsSqlContainer container;
        try
        {
            container = new MsSqlBuilder(Image).Build();
        }
        catch (DockerUnavailableException e)
        {
            return new SqlServerTarget(null, $"skipped: {Variable} is not set and no Docker daemon is reachable for Testcontainers ({FirstLine(e.Message)})");
        }

        // Docker is there: a container that does not start is a failure to see, not a skip.
        await container.StartAsync();
        _container = container;
        return new SqlServerTarget(container.GetConnectionString(), $"ran against a Testcontainers {Image} container");
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static void Report(string line)
    {
        if (Environment.GetEnvironmentVariable(ReportVariable) is { Length: > 0 } file)
        {
            File.WriteAllText(file, line + Environment.NewLine);
        }
    }
}
