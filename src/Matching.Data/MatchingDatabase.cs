using System.Data.Common;
using System.Diagnostics;
using Dapper;
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

    // SQLite allows one writer at a time, and each commit costs an fsync. Every write transaction
    // of this process goes through one writer that commits the units waiting together (group
    // commit), so they neither meet SQLITE_BUSY against each other nor queue one fsync each.
    // SQL Server runs ordinary concurrent transactions.
    private readonly SqliteWriter? _sqliteWriter;
    private long _sqlServerTransactions;
    private long _retries;

    /// <summary>Creates the data source for the options.</summary>
    public MatchingDatabase(DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.GroupCommitMaxBatch, 1, $"{nameof(options)}.{nameof(DatabaseOptions.GroupCommitMaxBatch)}");
        Engine = options.Engine;
        switch (options.Engine)
        {
            case DatabaseEngine.Sqlite:
                var cs = options.ConnectionString;
                if (string.IsNullOrWhiteSpace(cs))
                {
                    Directory.CreateDirectory(options.DataFolder);
                    cs = $"Data Source={DatabaseOptions.SqliteFile(options.DataFolder)}";
                }

                // Default Timeout (how long a command waits out SQLITE_BUSY, 30 s unless set) is left to the connection string.
                var builder = new SqliteConnectionStringBuilder(cs) { ForeignKeys = true };
                if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder)
                {
                    Directory.CreateDirectory(folder);
                }

                DataSource = new SqliteDataSource(builder.ToString());
                _sqliteWriter = new SqliteWriter(DataSource, options.GroupCommitMaxBatch);
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
                OnRetry = _ =>
                {
                    Interlocked.Increment(ref _retries);
                    return default;
                },
            })
            .Build();
        MigrateOnStart = options.MigrateOnStart ?? options.Engine == DatabaseEngine.Sqlite;
        _checkpointPatience = options.CheckpointPatience;
    }

    private readonly TimeSpan _checkpointPatience;

    /// <summary>The engine.</summary>
    public DatabaseEngine Engine { get; }

    /// <summary>The data source; one per process.</summary>
    public DbDataSource DataSource { get; }

    /// <summary>Retries transient errors with exponential backoff and jitter, a bounded number of times.</summary>
    public ResiliencePipeline Retry { get; }

    /// <summary>Attempts retried after a transient error, since this instance was created.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Whether the API applies migrations when it starts.</summary>
    public bool MigrateOnStart { get; }

    /// <summary>
    /// Write transactions committed: on SQLite, group commits that carried at least one unit; on
    /// SQL Server, one per <see cref="InTransactionAsync"/>. With <see cref="WriteUnits"/>, how
    /// many writes each commit carried.
    /// </summary>
    public long WriteBatches => _sqliteWriter?.Batches ?? Interlocked.Read(ref _sqlServerTransactions);

    /// <summary>Units of <see cref="InTransactionAsync"/> whose writes were committed (a unit that failed is not counted).</summary>
    public long WriteUnits => _sqliteWriter?.Units ?? Interlocked.Read(ref _sqlServerTransactions);

    /// <summary>Picks the engine's variant of a statement where the dialects differ.</summary>
    public string Sql(string sqlite, string sqlServer) => Engine == DatabaseEngine.Sqlite ? sqlite : sqlServer;

    /// <summary>
    /// Runs <paramref name="work"/> on a fresh open connection, retrying transient failures. For
    /// reads: writes go through <see cref="InTransactionAsync"/>, so that on SQLite they all pass
    /// through the one writer instead of meeting SQLITE_BUSY against it.
    /// </summary>
    public ValueTask<T> RunAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken ct) =>
        Retry.ExecuteAsync(async token =>
        {
            await using var connection = await DataSource.OpenConnectionAsync(token);
            return await work(connection, token);
        }, ct);

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction, retrying the whole unit on transient
    /// failures. On SQLite the unit is queued for the one writer and runs in its own savepoint of
    /// a transaction shared with the other units waiting (group commit): its exception rolls back
    /// only its own writes and reaches only its caller; the task completes after COMMIT returned.
    /// A unit cancelled while queued is skipped (<see cref="OperationCanceledException"/>); once
    /// started, its caller waits for its real outcome, and a cancellation seen by
    /// <paramref name="work"/> itself undoes only that unit.
    /// </summary>
    public ValueTask<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        return _sqliteWriter is { } writer
            ? Retry.ExecuteAsync(token => new ValueTask<T>(writer.WriteAsync(work, token)), ct)
            : Retry.ExecuteAsync(token => InOwnTransactionAsync(work, token), ct);
    }

    private async ValueTask<T> InOwnTransactionAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var result = await work(connection, transaction, ct);
        await transaction.CommitAsync(ct);
        Interlocked.Increment(ref _sqlServerTransactions);
        return result;
    }

    private const string TruncateLog = "PRAGMA wal_checkpoint(TRUNCATE)";

    /// <summary>
    /// Makes rows deleted so far unrecoverable from the SQLite files. The deletes themselves
    /// zeroed the rows in their pages (<c>secure_delete</c> is on for every connection), but the
    /// write-ahead log still holds older images of those pages; this copies the log into the
    /// database file and truncates the log to zero bytes. A reader still using the log (an open
    /// read, another process's training run) makes the checkpoint report busy rather than wait,
    /// so it is tried again with backoff until <see cref="DatabaseOptions.CheckpointPatience"/>
    /// runs out. Returns whether the log was truncated. On SQL Server there is no such file to
    /// clear from here and it returns true; the README says what the database needs instead.
    /// </summary>
    public async Task<bool> TruncateLogAsync(CancellationToken ct = default)
    {
        if (Engine != DatabaseEngine.Sqlite)
        {
            return true;
        }

        var started = Stopwatch.GetTimestamp();
        var wait = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            // Its own connection, outside the writer: a checkpoint cannot run inside a transaction,
            // and while it waits for readers the writer must keep committing.
            var busy = await RunAsync((c, token) => c.ExecuteScalarAsync<int>(new CommandDefinition(TruncateLog, cancellationToken: token)), ct);
            if (busy == 0)
            {
                return true;
            }

            if (Stopwatch.GetElapsedTime(started) + wait > _checkpointPatience)
            {
                return false;
            }

            await Task.Delay(wait, ct);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromMilliseconds(250).Ticks));
        }
    }

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

    /// <summary>Takes no more writes, waits for the queued ones to commit, then closes the data source.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_sqliteWriter is not null)
        {
            await _sqliteWriter.DisposeAsync();
        }

        await DataSource.DisposeAsync();
    }
}
