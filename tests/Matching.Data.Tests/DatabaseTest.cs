using Dapper;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;

namespace Matching.Data.Tests;

/// <summary>
/// A real database per test, the Npgsql way: fixtures are parameterised by engine. SQLite gets a
/// fresh file in its own temp folder per test, deleted afterwards. SQL Server runs on the server
/// <see cref="SqlServerTestServer"/> picks (<c>MATCHING_TEST_SQLSERVER</c>, else a Testcontainers
/// container when Docker is reachable): a database <c>matching_test_&lt;guid&gt;</c> is created
/// per fixture, emptied of tables before each test, and dropped afterwards; with no server the
/// fixture is skipped with the reason shown.
/// </summary>
public abstract class DatabaseTest(DatabaseEngine engine)
{
    private readonly List<MatchingDatabase> _databases = [];
    private string? _sqlServerMaster;
    private string? _sqlServerDatabase;
    private string? _sqlServerConnectionString;
    private string? _folder;

    protected DatabaseEngine Engine => engine;

    protected ManualClock Clock { get; private set; } = null!;

    /// <summary>The database under test, migrated unless <see cref="Migrate"/> is false.</summary>
    protected MatchingDatabase Db { get; private set; } = null!;

    /// <summary>The SQLite file of this test (SQLite only).</summary>
    protected string SqliteFile => Path.Combine(_folder ?? throw new InvalidOperationException("SQLite only."), "matching.db");

    /// <summary>The connection string of this fixture's database (SQL Server only).</summary>
    protected string SqlServerConnectionString => _sqlServerConnectionString ?? throw new InvalidOperationException("SQL Server only.");

    /// <summary>The folder this test may write files in (SQLite only).</summary>
    protected string Folder => _folder ?? throw new InvalidOperationException("SQLite only.");

    /// <summary>Whether each test starts from a migrated schema.</summary>
    protected virtual bool Migrate => true;

    [OneTimeSetUp]
    public async Task CreateSqlServerDatabase()
    {
        if (engine != DatabaseEngine.SqlServer)
        {
            return;
        }

        var target = await SqlServerTestServer.GetAsync();
        var connectionString = target.ConnectionString;
        if (connectionString is null)
        {
            Assert.Ignore($"SQL Server tests {target.Description}");
            return;
        }

        var name = $"matching_test_{Guid.NewGuid():N}";
        var builder = new SqlConnectionStringBuilder(connectionString);
        _sqlServerMaster = new SqlConnectionStringBuilder(connectionString) { InitialCatalog = "master" }.ConnectionString;
        try
        {
            await using var master = new SqlConnection(_sqlServerMaster);
            await master.OpenAsync();
            await master.ExecuteAsync($"CREATE DATABASE [{name}]");
        }
        catch (SqlException e)
        {
            Assert.Fail($"SQL Server tests {target.Description}, but database {name} could not be created on {builder.DataSource}: {e.Message}");
        }

        _sqlServerDatabase = name;
        builder.InitialCatalog = name;
        _sqlServerConnectionString = builder.ConnectionString;
    }

    [OneTimeTearDown]
    public async Task DropSqlServerDatabase()
    {
        if (_sqlServerDatabase is null)
        {
            return;
        }

        SqlConnection.ClearAllPools();
        await using var master = new SqlConnection(_sqlServerMaster);
        await master.OpenAsync();
        await master.ExecuteAsync($"ALTER DATABASE [{_sqlServerDatabase}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{_sqlServerDatabase}];");
    }

    [SetUp]
    public async Task SetUpDatabase()
    {
        Clock = new ManualClock();
        if (engine == DatabaseEngine.Sqlite)
        {
            _folder = Path.Combine(DataTestsSetUp.TempRoot, Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_folder);
        }

        Db = NewDatabase(configure: null);
        if (engine == DatabaseEngine.SqlServer)
        {
            await DropAllTablesAsync();
        }

        if (Migrate)
        {
            await new Migrator(Db).ApplyAsync(Clock);
        }
    }

    [TearDown]
    public async Task TearDownDatabase()
    {
        await Db.DisposeAsync();
        foreach (var db in _databases)
        {
            await db.DisposeAsync();
        }

        _databases.Clear();
        if (_folder is not null)
        {
            // Pooled connections keep the file open; release them before deleting it.
            SqliteConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
            _folder = null;
        }
    }

    /// <summary>Another <see cref="MatchingDatabase"/> on the test's database, with options changed; disposed after the test.</summary>
    protected MatchingDatabase CreateDatabase(Action<DatabaseOptions>? configure = null)
    {
        var db = NewDatabase(configure);
        _databases.Add(db);
        return db;
    }

    private MatchingDatabase NewDatabase(Action<DatabaseOptions>? configure)
    {
        var options = new DatabaseOptions
        {
            Engine = engine,
            ConnectionString = engine == DatabaseEngine.Sqlite ? $"Data Source={SqliteFile}" : _sqlServerConnectionString,
            RetryDelay = TimeSpan.FromMilliseconds(10),
        };
        configure?.Invoke(options);
        return new MatchingDatabase(options);
    }

    /// <summary>Rows in <paramref name="table"/>, optionally filtered.</summary>
    protected Task<int> CountAsync(string table, string where = "", object? args = null) =>
        Db.RunAsync((c, ct) => c.ExecuteScalarAsync<int>(new CommandDefinition($"SELECT COUNT(*) FROM {table} {where}", args, cancellationToken: ct)), default).AsTask();

    /// <summary>Whether a table exists.</summary>
    protected Task<bool> TableExistsAsync(string table) =>
        Db.RunAsync((c, ct) => c.ExecuteScalarAsync<bool>(new CommandDefinition(
            Db.Sql("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @Table", "SELECT COUNT(*) FROM sys.tables WHERE name = @Table"),
            new { Table = table },
            cancellationToken: ct)), default).AsTask();

    /// <summary>Runs raw SQL against the test database.</summary>
    protected Task<int> ExecuteAsync(string sql, object? args = null) =>
        Db.RunAsync((c, ct) => c.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: ct)), default).AsTask();

    private const string DropAllTables = """
        DECLARE @sql NVARCHAR(MAX) = N'';
        SELECT @sql += N'ALTER TABLE ' + QUOTENAME(OBJECT_SCHEMA_NAME(parent_object_id)) + N'.' + QUOTENAME(OBJECT_NAME(parent_object_id))
          + N' DROP CONSTRAINT ' + QUOTENAME(name) + N';' FROM sys.foreign_keys;
        SELECT @sql += N'DROP TABLE ' + QUOTENAME(SCHEMA_NAME(schema_id)) + N'.' + QUOTENAME(name) + N';' FROM sys.tables;
        EXEC sp_executesql @sql;
        """;

    private Task DropAllTablesAsync() => ExecuteAsync(DropAllTables);
}
