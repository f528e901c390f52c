using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Matching.Data.Tests;

/// <summary>SQLite specifics of the shared database: connection settings, what counts as transient, and retries under a real lock.</summary>
[TestFixture]
public class MatchingDatabaseTests() : DatabaseTest(DatabaseEngine.Sqlite)
{
    [TestCase(5, true)] // SQLITE_BUSY
    [TestCase(6, true)] // SQLITE_LOCKED
    [TestCase(261, true)] // SQLITE_BUSY_RECOVERY
    [TestCase(517, true)] // SQLITE_BUSY_SNAPSHOT
    [TestCase(262, true)] // SQLITE_LOCKED_SHAREDCACHE
    [TestCase(19, false)] // SQLITE_CONSTRAINT
    [TestCase(2067, false)] // SQLITE_CONSTRAINT_UNIQUE
    [TestCase(1, false)] // SQLITE_ERROR
    [TestCase(8, false)] // SQLITE_READONLY
    public void Busy_and_locked_are_transient(int code, bool transient)
    {
        Assert.That(MatchingDatabase.IsTransient(new SqliteException("test", code)), Is.EqualTo(transient));
    }

    [Test]
    public async Task A_real_constraint_error_is_not_transient_and_foreign_keys_are_enforced()
    {
        // A tag of a therapist that does not exist breaks the foreign key, which is only checked with Foreign Keys=True.
        var error = Assert.CatchAsync<SqliteException>(() => ExecuteAsync("INSERT INTO therapist_tag (therapist_id, kind, value) VALUES ('t-none', 'region', 'us-ny')"));

        Assert.That(error!.SqliteErrorCode, Is.EqualTo(19));
        Assert.That(MatchingDatabase.IsTransient(error), Is.False);
        Assert.That(await CountAsync("therapist_tag"), Is.Zero);
    }

    [Test]
    public void A_duplicate_key_is_a_unique_violation_and_a_foreign_key_error_is_not()
    {
        var foreignKey = Assert.CatchAsync<SqliteException>(() => ExecuteAsync("INSERT INTO therapist_tag (therapist_id, kind, value) VALUES ('t-none', 'region', 'us-ny')"));
        const string Journal = "INSERT INTO erasure_log (id, erased_at, caller, rows_erased) VALUES (1, '2026-01-01', 'test', 0)";
        Assert.DoesNotThrowAsync(() => ExecuteAsync(Journal));
        var duplicate = Assert.CatchAsync<SqliteException>(() => ExecuteAsync(Journal));

        Assert.That(MatchingDatabase.IsUniqueViolation(duplicate!), Is.True);
        Assert.That(MatchingDatabase.IsUniqueViolation(foreignKey!), Is.False);
    }

    [TestCase(5, 3)]
    [TestCase(6, 3)]
    [TestCase(19, 1)]
    public void Only_transient_errors_are_retried_a_bounded_number_of_times(int code, int expectedAttempts)
    {
        var db = CreateDatabase(o => { o.MaxRetries = 2; o.RetryDelay = TimeSpan.FromMilliseconds(1); });
        var attempts = 0;

        Assert.That(
            async () => await db.RunAsync<int>((_, _) =>
            {
                attempts++;
                throw new SqliteException("test", code);
            }, default),
            Throws.TypeOf<SqliteException>().With.Property(nameof(SqliteException.SqliteErrorCode)).EqualTo(code));
        Assert.That(attempts, Is.EqualTo(expectedAttempts));
    }

    [Test]
    public async Task The_busy_timeout_of_the_connection_string_is_kept()
    {
        var db = CreateDatabase(o => o.ConnectionString = $"Data Source={SqliteFile};Default Timeout=7");

        var (timeout, foreignKeys) = await db.RunAsync(async (c, ct) =>
            (((SqliteConnection)c).DefaultTimeout, await c.ExecuteScalarAsync<long>(new CommandDefinition("PRAGMA foreign_keys", cancellationToken: ct))), default);

        Assert.That(timeout, Is.EqualTo(7));
        Assert.That(foreignKeys, Is.EqualTo(1));
    }

    [Test]
    public async Task Without_a_connection_string_the_file_goes_in_the_data_folder()
    {
        var folder = Path.Combine(Folder, "nested", "data");
        var db = CreateDatabase(o => { o.ConnectionString = null; o.DataFolder = folder; });

        await new Migrator(db).ApplyAsync(Clock);

        Assert.That(File.Exists(Path.Combine(folder, "matching.db")), Is.True);
    }

    [TestCase(DatabaseEngine.Sqlite, true)]
    [TestCase(DatabaseEngine.SqlServer, false)]
    public void Migrations_run_on_start_by_default_only_for_SQLite(DatabaseEngine engine, bool expected)
    {
        // Building a data source does not connect, so a SQL Server that is not there is fine here.
        var options = new DatabaseOptions
        {
            Engine = engine,
            ConnectionString = engine == DatabaseEngine.Sqlite ? $"Data Source={SqliteFile}" : "Server=localhost;Database=nowhere",
        };
        var db = new MatchingDatabase(options);

        Assert.That(db.MigrateOnStart, Is.EqualTo(expected));
        Assert.That(db.Sql("sqlite", "sqlserver"), Is.EqualTo(engine == DatabaseEngine.Sqlite ? "sqlite" : "sqlserver"));
    }

    [Test]
    public void SQL_Server_needs_a_connection_string()
    {
        Assert.That(
            () => new MatchingDatabase(new DatabaseOptions { Engine = DatabaseEngine.SqlServer }),
            Throws.InvalidOperationException.With.Message.Contains("ConnectionString"));
    }

    /// <summary>
    /// Another connection holds the write lock. Each attempt waits out SQLITE_BUSY for the
    /// connection's Default Timeout (1 s) and then fails; the retry pipeline tries again. A lock
    /// released within the timeout is waited out by the first attempt (no retry); one held 1.5 s
    /// outlasts the first attempt and can only be outlasted by a retry.
    /// </summary>
    [TestCase(300, 0, 0)]
    [TestCase(1500, 1, 4)]
    public async Task A_write_outlasts_a_lock_released_in_time(int holdMilliseconds, int minRetries, int maxRetries)
    {
        var db = BusyWriter(maxRetries: 4);
        var writer = new TherapistStore(db, Clock);
        using var locker = HoldWriteLock();

        // On the thread pool: Microsoft.Data.Sqlite waits on a busy lock synchronously.
        var write = Task.Run(() => writer.UpsertAsync(Sample.Therapist("t-1")));
        await Task.Delay(holdMilliseconds);
        Assert.That(write.IsCompleted, Is.False, "the write waits for the lock");
        locker.Dispose();

        Assert.That(await write.WaitAsync(TimeSpan.FromSeconds(20)), Is.True);
        Assert.That(db.Retries, Is.InRange(minRetries, maxRetries), "attempts retried after SQLITE_BUSY");
        Assert.That(await CountAsync("therapist"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_write_under_a_lock_never_released_fails_after_bounded_retries()
    {
        var writer = new TherapistStore(BusyWriter(maxRetries: 2), Clock);
        using var locker = HoldWriteLock();
        var stopwatch = Stopwatch.StartNew();

        var write = Task.Run(() => writer.UpsertAsync(Sample.Therapist("t-1")));

        var error = Assert.CatchAsync<SqliteException>(async () => await write.WaitAsync(TimeSpan.FromSeconds(30)));
        var elapsed = stopwatch.Elapsed;
        locker.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(error!.SqliteErrorCode, Is.EqualTo(5), "SQLITE_BUSY");
            // Three attempts of about 1 s each: it retried, and it gave up.
            Assert.That(elapsed, Is.InRange(TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(15)));
        });
        Assert.That(await CountAsync("therapist"), Is.Zero);
    }

    [Test]
    public async Task Every_connection_overwrites_deleted_content_with_zeros()
    {
        const string SecureDelete = "PRAGMA secure_delete";

        var reading = await Db.RunAsync((c, ct) => c.ExecuteScalarAsync<int>(new CommandDefinition(SecureDelete, cancellationToken: ct)), default);
        var writing = await Db.InTransactionAsync((c, tx, ct) => c.ExecuteScalarAsync<int>(new CommandDefinition(SecureDelete, transaction: tx, cancellationToken: ct)), default);
        await using var opened = Db.DataSource.CreateConnection();
        opened.Open();
        var openedByHand = await opened.ExecuteScalarAsync<int>(SecureDelete);

        Assert.That(new[] { reading, writing, openedByHand }, Has.All.EqualTo(1));
    }

    [Test]
    public async Task Log_truncation_waits_for_a_reader_that_still_uses_the_log_then_empties_it()
    {
        await ExecuteAsync("INSERT INTO erasure_log (erased_at, caller, rows_erased) VALUES ('2026-01-01', 'test', 1)");
        using var reader = HoldReadSnapshot();
        var wal = new FileInfo(SqliteFile + "-wal");

        var truncation = Db.TruncateLogAsync();
        await Task.Delay(300);
        var whileReading = truncation.IsCompleted;
        wal.Refresh();
        var bytesWhileReading = wal.Length;
        reader.Execute("COMMIT TRANSACTION");
        var truncated = await truncation;
        wal.Refresh();

        Assert.Multiple(() =>
        {
            Assert.That(whileReading, Is.False, "still trying while the reader uses the log");
            Assert.That(bytesWhileReading, Is.Positive);
            Assert.That(truncated, Is.True);
            Assert.That(wal.Length, Is.Zero);
        });
    }

    [Test]
    public async Task Log_truncation_gives_up_after_its_patience_and_says_so()
    {
        var db = CreateDatabase(o => o.CheckpointPatience = TimeSpan.FromMilliseconds(200));
        await ExecuteAsync("INSERT INTO erasure_log (erased_at, caller, rows_erased) VALUES ('2026-01-01', 'test', 1)");
        using var reader = HoldReadSnapshot();
        var clock = Stopwatch.StartNew();

        var truncated = await db.TruncateLogAsync();

        Assert.That(truncated, Is.False);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(new FileInfo(SqliteFile + "-wal").Length, Is.Positive);
    }

    /// <summary>An open connection in a read transaction that has read from the log, until disposed.</summary>
    private SqliteConnection HoldReadSnapshot()
    {
        var connection = new SqliteConnection($"Data Source={SqliteFile};Pooling=False");
        connection.Open();
        connection.Execute("BEGIN DEFERRED");
        connection.ExecuteScalar<int>("SELECT COUNT(*) FROM erasure_log");
        return connection;
    }

    private MatchingDatabase BusyWriter(int maxRetries) => CreateDatabase(o =>
    {
        o.ConnectionString = $"Data Source={SqliteFile};Default Timeout=1";
        o.MaxRetries = maxRetries;
        o.RetryDelay = TimeSpan.FromMilliseconds(50);
    });

    /// <summary>An open connection holding the database's write lock until disposed.</summary>
    private SqliteConnection HoldWriteLock()
    {
        var connection = new SqliteConnection($"Data Source={SqliteFile};Pooling=False");
        connection.Open();
        connection.Execute("BEGIN EXCLUSIVE");
        return connection;
    }
}
