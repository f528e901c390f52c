using System.Data.Common;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Polly;
using Polly.Retry;

namespace Matching.Data;

/// <summary>
/// The one database the stores share: a <see cref="DbDataSource"/> for the configured engine and
/// a retry pipeline for transient errors. Stores open one connection per operation.
/// </summary>
public sealed class MatchingDatabase : IAsyncDisposable
{
    // SQL Server error numbers worth a retry: timeouts, deadlock victim, Azure SQL throttling and
    // fail-over, broken connections.
    private static readonly HashSet<int> SqlServerTransient =
        [-2, 20, 64, 233, 1205, 4060, 4221, 10053, 10054, 10060, 10928, 10929, 40143, 40197, 40501, 40540, 40613, 49918, 49919, 49920];

    // SQLite allows one writer at a time; concurrent writers in this process would otherwise meet
    // SQLITE_BUSY and back off in coarse sleeps. Queuing them here keeps each write a short
    // uncontended transaction. SQL Server needs no gate.
    private readonly SemaphoreSlim? _sqliteWriter;

    /// <summary>Creates the data source for the options.</summary>
    public MatchingDatabase(DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Engine = options.Engine;
        switch (options.Engine)
        {
            case DatabaseEngine.Sqlite:
                var cs = options.ConnectionString;
                if (string.IsNullOrWhiteSpace(cs))
                {
                    Directory.CreateDirectory(options.DataFolder);
                    cs = $"Data Source={Path.Combine(options.DataFolder, "matching.db")}";
                }

                // Default Timeout (how long a command waits out SQLITE_BUSY, 30 s unless set) is left to the connection string.
                var builder = new SqliteConnectionStringBuilder(cs) { ForeignKeys = true };
                if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder)
                {
                    Directory.CreateDirectory(folder);
                }

                DataSource = SqliteFactory.Instance.CreateDataSource(builder.ToString());
                _sqliteWriter = new SemaphoreSlim(1, 1);
                break;
            case DatabaseEngine.SqlServer:
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                {
                    throw new InvalidOperationException($"{DatabaseOptions.Section}:ConnectionString is required for SQL Server.");
                }

                DataSource = SqlClientFactory.Instance.CreateDataSource(options.ConnectionString);
                break;
            default:
                throw new InvalidOperationException($"Unknown database engine {options.Engine}.");
        }

        Retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<DbException>(IsTransient),
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
        MigrateOnStart = options.MigrateOnStart ?? options.Engine == DatabaseEngine.Sqlite;
    }

    /// <summary>The engine.</summary>
    public DatabaseEngine Engine { get; }

    /// <summary>The data source; one per process.</summary>
    public DbDataSource DataSource { get; }

    /// <summary>Retries transient errors with exponential backoff and jitter, a bounded number of times.</summary>
    public ResiliencePipeline Retry { get; }

    /// <summary>Whether the API applies migrations when it starts.</summary>
    public bool MigrateOnStart { get; }

    /// <summary>Picks the engine's variant of a statement where the dialects differ.</summary>
    public string Sql(string sqlite, string sqlServer) => Engine == DatabaseEngine.Sqlite ? sqlite : sqlServer;

    /// <summary>Runs <paramref name="work"/> on a fresh open connection, retrying transient failures.</summary>
    public ValueTask<T> RunAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken ct) =>
        Retry.ExecuteAsync(async token =>
        {
            await using var connection = await DataSource.OpenConnectionAsync(token);
            return await work(connection, token);
        }, ct);

    /// <summary>Runs <paramref name="work"/> in a transaction on a fresh connection, retrying the whole unit on transient failures.</summary>
    public ValueTask<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct) =>
        Retry.ExecuteAsync(async token =>
        {
            if (_sqliteWriter is not null)
            {
                await _sqliteWriter.WaitAsync(token);
            }

            try
            {
                await using var connection = await DataSource.OpenConnectionAsync(token);
                await using var transaction = await connection.BeginTransactionAsync(token);
                var result = await work(connection, transaction, token);
                await transaction.CommitAsync(token);
                return result;
            }
            finally
            {
                _sqliteWriter?.Release();
            }
        }, ct);

    /// <summary>Whether an exception is worth a retry.</summary>
    public static bool IsTransient(DbException exception) => exception switch
    {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes in the low byte.
        SqliteException s => (s.SqliteErrorCode & 0xFF) is 5 or 6,
        SqlException s => s.Errors.Cast<SqlError>().Any(e => SqlServerTransient.Contains(e.Number)),
        _ => exception.IsTransient,
    };

    /// <summary>Whether an exception is a primary-key or unique-index violation (a concurrent duplicate insert).</summary>
    public static bool IsUniqueViolation(DbException exception) => exception switch
    {
        // SQLITE_CONSTRAINT_PRIMARYKEY (1555) and SQLITE_CONSTRAINT_UNIQUE (2067).
        SqliteException s => s.SqliteExtendedErrorCode is 1555 or 2067,
        SqlException s => s.Errors.Cast<SqlError>().Any(e => e.Number is 2627 or 2601),
        _ => false,
    };

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _sqliteWriter?.Dispose();
        return DataSource.DisposeAsync();
    }
}
