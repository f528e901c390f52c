using System.Data;
using System.Data.Common;
using System.Runtime.ExceptionServices;
using Dapper;
using DbUp;
using DbUp.Engine;
using DbUp.Engine.Transactions;
using DbUp.Sqlite.Helpers;
using Microsoft.Data.SqlClient;

namespace Matching.Data;

/// <summary>A migration script: its number, its name and its SQL.</summary>
public sealed record Migration(int Number, string Name, string Sql);

/// <summary>
/// Applies the embedded, numbered SQL scripts of the configured engine (Migrations/Sqlite,
/// Migrations/SqlServer) in order with DbUp (dbup-sqlite, dbup-sqlserver): each script in its own
/// transaction together with its journal row, so a failed script leaves the database as it was
/// before that script. The journal is our <c>schema_journal</c> table (number, name, applied
/// time), the one the hand-written migrator before DbUp kept, so databases it created carry on.
/// </summary>
public sealed class Migrator(MatchingDatabase database)
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

    private const string SqliteJournalExists = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_journal'";

    private const string SqlServerJournalExists = "SELECT CASE WHEN OBJECT_ID(N'schema_journal', N'U') IS NULL THEN 0 ELSE 1 END";

    /// <summary>The scripts of the engine, in order.</summary>
    public IReadOnlyList<Migration> Migrations { get; } = Load(database.Engine);

    /// <summary>Numbers already applied (none while the journal does not exist; reading it creates nothing).</summary>
    public async Task<IReadOnlyList<int>> AppliedAsync(CancellationToken ct = default) =>
        await database.RunAsync(async (c, token) =>
        {
            if (await c.ExecuteScalarAsync<int>(new CommandDefinition(database.Sql(SqliteJournalExists, SqlServerJournalExists), cancellationToken: token)) == 0)
            {
                return [];
            }

            return (await c.QueryAsync<int>(new CommandDefinition("SELECT number FROM schema_journal ORDER BY number", cancellationToken: token))).ToList();
        }, ct);

    /// <summary>Applies pending scripts; returns the ones applied. A transient error retries the upgrade from the first script still pending.</summary>
    public async Task<IReadOnlyList<Migration>> ApplyAsync(TimeProvider clock, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(clock);
        if (database.Engine == DatabaseEngine.Sqlite)
        {
            // WAL lets readers (matching) run while a writer (feedback, retraining) commits.
            await database.RunAsync((c, token) => c.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode=WAL", cancellationToken: token)), ct);
        }

        var done = new List<Migration>();
        await database.Retry.ExecuteAsync(token =>
        {
            token.ThrowIfCancellationRequested();
            // DbUp is synchronous; the upgrade runs once per process start or `db migrate`. On
            // SQLite it runs on a connection of our data source, so every pragma the data source
            // sets on its connections (secure_delete) holds for migrations too.
            using var sqlite = database.Engine == DatabaseEngine.Sqlite ? database.DataSource.OpenConnection() : null;
            var result = Upgrader(clock, sqlite).PerformUpgrade();
            done.AddRange(result.Scripts.Select(s => Migrations.Single(m => m.Name == s.Name)));
            if (!result.Successful)
            {
                ExceptionDispatchInfo.Throw(result.Error);
            }

            return ValueTask.CompletedTask;
        }, ct);
        return done;
    }

    private UpgradeEngine Upgrader(TimeProvider clock, DbConnection? sqlite)
    {
        var to = DeployChanges.To;
        var builder = sqlite is not null ? to.SqliteDatabase(new SharedConnection(sqlite)) : to.SqlDatabase(database.DataSource.ConnectionString);
        return builder
            .WithScripts(Migrations.Select(m => new SqlScript(m.Name, m.Sql)))
            .WithTransactionPerScript()
            .WithVariablesDisabled()
            .JournalTo((connections, _) => new SchemaJournal(database, Migrations, connections, clock))
            .LogToNowhere()
            .Build();
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

    // Scripts are embedded resources named Matching.Data.Migrations.<Engine>.NNNN_name.sql (MSBuild
    // prefixes a name starting with a digit with an underscore). DbUp runs scripts in ordinal
    // order of their names, so the names must sort in the order of their numbers.
    private static List<Migration> Load(DatabaseEngine engine)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"{typeof(Migrator).Namespace}.Migrations.{engine}.";
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var name = resource[prefix.Length..].TrimStart('_');
            var digits = new string(name.TakeWhile(char.IsDigit).ToArray());
            if (!int.TryParse(digits, out var number))
            {
                throw new InvalidOperationException($"Migration {name} does not start with its number.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new Migration(number, name, reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Number.CompareTo(b.Number));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Number == list[i - 1].Number)
            {
                throw new InvalidOperationException($"Two migrations are numbered {list[i].Number}.");
            }

            if (string.CompareOrdinal(list[i - 1].Name, list[i].Name) >= 0)
            {
                throw new InvalidOperationException($"Migration {list[i].Name} sorts before {list[i - 1].Name}: pad the numbers to the same width.");
            }
        }

        return list;
    }

    /// <summary>
    /// DbUp's journal kept in <c>schema_journal</c>. A script counts as applied by its number, as it
    /// did for the hand-written migrator; the row is written by DbUp inside the script's transaction.
    /// </summary>
    private sealed class SchemaJournal(MatchingDatabase database, IReadOnlyList<Migration> migrations, Func<IConnectionManager> connections, TimeProvider clock) : IJournal
    {
        public string[] GetExecutedScripts() =>
            connections().ExecuteCommandsWithManagedConnection(command =>
            {
                EnsureTableExistsAndIsLatestVersion(command);
                using var select = command();
                select.CommandText = "SELECT number FROM schema_journal ORDER BY number";
                using var reader = select.ExecuteReader();
                var names = new List<string>();
                while (reader.Read())
                {
                    var number = Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
                    names.Add(migrations.FirstOrDefault(m => m.Number == number)?.Name ?? $"{number:D4} (applied, no longer embedded)");
                }

                return names.ToArray();
            });

        public void StoreExecutedScript(SqlScript script, Func<IDbCommand> dbCommandFactory)
        {
            var migration = migrations.Single(m => m.Name == script.Name);
            using var insert = dbCommandFactory();
            insert.CommandText = "INSERT INTO schema_journal (number, name, applied_at) VALUES (@Number, @Name, @At)";
            Add(insert, "@Number", migration.Number);
            Add(insert, "@Name", migration.Name);
            Add(insert, "@At", clock.GetUtcNow().UtcDateTime);
            insert.ExecuteNonQuery();
        }

        public void EnsureTableExistsAndIsLatestVersion(Func<IDbCommand> dbCommandFactory)
        {
            using var create = dbCommandFactory();
            create.CommandText = database.Sql(SqliteJournal, SqlServerJournal);
            create.ExecuteNonQuery();
        }

        private static void Add(IDbCommand command, string name, object value)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
    }
}
