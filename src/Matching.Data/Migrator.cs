using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.SqlClient;

namespace Matching.Data;

/// <summary>A migration script: its number, its name and its SQL.</summary>
public sealed record Migration(int Number, string Name, string Sql);

/// <summary>
/// Applies the embedded, numbered SQL scripts of the configured engine (Migrations/Sqlite,
/// Migrations/SqlServer) in order, each in its own transaction with its journal row, so a failed
/// script leaves the database as it was before that script.
/// </summary>
public sealed partial class Migrator(MatchingDatabase database)
{
    private const string SqliteJournal = """
        CREATE TABLE IF NOT EXISTS schema_journal (
          number     INTEGER NOT NULL PRIMARY KEY,
          name       TEXT    NOT NULL,
          applied_at TEXT    NOT NULL
        )
        """;

    private const string SqlServerJournal = """
        IF OBJECT_ID(N'schema_journal', N'U') IS NULL
        CREATE TABLE schema_journal (
          number     INT           NOT NULL PRIMARY KEY,
          name       NVARCHAR(200) NOT NULL,
          applied_at DATETIME2(3)  NOT NULL
        )
        """;

    /// <summary>The scripts of the engine, in order.</summary>
    public IReadOnlyList<Migration> Migrations { get; } = Load(database.Engine);

    /// <summary>Numbers already applied.</summary>
    public async Task<IReadOnlyList<int>> AppliedAsync(CancellationToken ct = default) =>
        await database.RunAsync(async (c, token) =>
        {
            await EnsureJournalAsync(c, token);
            return (await c.QueryAsync<int>(new CommandDefinition("SELECT number FROM schema_journal ORDER BY number", cancellationToken: token))).ToList();
        }, ct);

    /// <summary>Applies pending scripts; returns the ones applied.</summary>
    public async Task<IReadOnlyList<Migration>> ApplyAsync(TimeProvider clock, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(clock);
        if (database.Engine == DatabaseEngine.Sqlite)
        {
            // WAL lets readers (matching) run while a writer (feedback, retraining) commits.
            await database.RunAsync((c, token) => c.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode=WAL", cancellationToken: token)), ct);
        }

        var applied = (await AppliedAsync(ct)).ToHashSet();
        var done = new List<Migration>();
        foreach (var migration in Migrations.Where(m => !applied.Contains(m.Number)))
        {
            await database.InTransactionAsync(async (c, tx, token) =>
            {
                foreach (var batch in Batches(migration.Sql))
                {
                    await c.ExecuteAsync(new CommandDefinition(batch, transaction: tx, cancellationToken: token));
                }

                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_journal (number, name, applied_at) VALUES (@Number, @Name, @At)",
                    new { migration.Number, migration.Name, At = clock.GetUtcNow().UtcDateTime },
                    tx,
                    cancellationToken: token));
                return 0;
            }, ct);
            done.Add(migration);
        }

        return done;
    }

    /// <summary>
    /// SQL Server only: creates the database the connection string names (its Initial Catalog)
    /// when it does not exist yet, connecting to <c>master</c>; returns whether it created it. For a
    /// fresh server (compose, a test instance); a production database is usually created by its
    /// administrators, and the login then needs no CREATE DATABASE permission.
    /// </summary>
    public static async Task<bool> CreateSqlServerDatabaseIfMissingAsync(string connectionString, CancellationToken ct = default)
    {
        var target = new SqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(target.InitialCatalog))
        {
            throw new InvalidOperationException("The connection string names no database (Database= or Initial Catalog=).");
        }

        var master = new SqlConnectionStringBuilder(connectionString) { InitialCatalog = "master" };
        await using var connection = new SqlConnection(master.ConnectionString);
        await connection.OpenAsync(ct);
        // The name cannot be a parameter of CREATE DATABASE; QUOTENAME makes it one identifier.
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            IF DB_ID(@Name) IS NOT NULL SELECT 0
            ELSE BEGIN
              DECLARE @sql NVARCHAR(400) = N'CREATE DATABASE ' + QUOTENAME(@Name);
              EXEC sp_executesql @sql;
              SELECT 1;
            END
            """, new { Name = target.InitialCatalog }, cancellationToken: ct)) == 1;
    }

    private Task EnsureJournalAsync(DbConnection connection, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(database.Sql(SqliteJournal, SqlServerJournal), cancellationToken: ct));

    // SQL Server scripts may separate batches with GO lines, as in SSMS.
    private static IEnumerable<string> Batches(string sql) =>
        GoLine().Split(sql).Where(b => !string.IsNullOrWhiteSpace(b));

    [GeneratedRegex(@"^\s*GO\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex GoLine();

    private static List<Migration> Load(DatabaseEngine engine)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"{typeof(Migrator).Namespace}.Migrations.{engine}.";
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var name = resource[prefix.Length..];
            // Resource names of files starting with a digit get an underscore prefix from MSBuild.
            var digits = new string(name.TrimStart('_').TakeWhile(char.IsDigit).ToArray());
            if (!int.TryParse(digits, out var number))
            {
                throw new InvalidOperationException($"Migration {name} does not start with its number.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new Migration(number, name.TrimStart('_'), reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Number.CompareTo(b.Number));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Number == list[i - 1].Number)
            {
                throw new InvalidOperationException($"Two migrations are numbered {list[i].Number}.");
            }
        }

        return list;
    }
}
