using System.Data.Common;
using Dapper;
using Matching.Engine.Domain;
using Microsoft.Data.Sqlite;

namespace Matching.Data.Tests;

/// <summary>
/// Group commit of SQLite writes through <see cref="MatchingDatabase.InTransactionAsync"/>. Each
/// test holds the writer loop in a first unit (<see cref="Gate"/>) while the units under test
/// queue, so which units share a transaction is decided by the test, not by timing.
/// InTransactionAsync queues a unit before it returns its task (the retry pipeline runs the first
/// attempt synchronously up to the wait), so units called before the gate opens are all waiting.
/// </summary>
[TestFixture]
public class SqliteWriterTests() : DatabaseTest(DatabaseEngine.Sqlite)
{
    private const string InsertProbe = "INSERT INTO probe (id, tag) VALUES (@Id, @Tag)";

    private readonly List<TaskCompletionSource> _held = [];

    [SetUp]
    public Task CreateProbeTables() => ExecuteAsync("""
        CREATE TABLE probe (id INTEGER NOT NULL PRIMARY KEY, tag TEXT NULL);
        CREATE TABLE parent (id INTEGER NOT NULL PRIMARY KEY);
        CREATE TABLE child (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id));
        """);

    // Runs before the base class disposes the databases (NUnit tears down derived classes first):
    // a test that fails while a unit holds the writer must not leave DisposeAsync waiting for it.
    [TearDown]
    public void ReleaseHeldUnits()
    {
        _held.ForEach(h => h.TrySetResult());
        _held.Clear();
    }

    [Test]
    public async Task Concurrent_writers_all_land_in_fewer_transactions_than_writes()
    {
        var store = new ShortlistStore(Db);
        var shortlists = Enumerable.Range(0, 64)
            .Select(i => Sample.Shortlist($"c-{i}", Clock.GetUtcNow(), Goal.Anxiety, Enumerable.Range(0, 10).Select(t => $"t-{t}").ToArray()))
            .ToList();
        var (batches, units) = (Db.WriteBatches, Db.WriteUnits);
        var gate = await Gate.HoldAsync(Db, Hold());

        // 64 writers on pool threads; each counts itself once its write is queued.
        var queued = 0;
        var allQueued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writes = shortlists.Select(s => Task.Run(async () =>
        {
            var save = store.SaveAsync(s);
            if (Interlocked.Increment(ref queued) == shortlists.Count)
            {
                allQueued.SetResult();
            }

            await save;
        })).ToList();
        await allQueued.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await gate.OpenAsync();
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(await CountAsync("shortlist"), Is.EqualTo(64));
        Assert.That(await CountAsync("shortlist_item"), Is.EqualTo(640));
        Assert.Multiple(() =>
        {
            Assert.That(Db.WriteUnits - units, Is.EqualTo(65), "the gate and 64 shortlists");
            Assert.That(Db.WriteBatches - batches, Is.EqualTo(2), "the gate alone, then the 64 together");
        });
    }

    [Test]
    public async Task A_failing_unit_gets_its_own_exception_and_the_rest_of_its_batch_commits()
    {
        await InsertAsync(Db, 1, "first");
        var (batches, units) = (Db.WriteBatches, Db.WriteUnits);
        var transactions = new List<DbTransaction>();
        SqliteException? thrownInUnit = null;
        var gate = await Gate.HoldAsync(Db, Hold());

        var before = InsertAsync(Db, 2, "before", transactions);
        var duplicate = Db.InTransactionAsync<int>(async (c, tx, ct) =>
        {
            transactions.Add(tx);
            try
            {
                return await c.ExecuteAsync(new CommandDefinition(InsertProbe, new { Id = 1, Tag = "duplicate" }, tx, cancellationToken: ct));
            }
            catch (SqliteException e)
            {
                thrownInUnit = e;
                throw;
            }
        }, default).AsTask();
        var after = InsertAsync(Db, 3, "after", transactions);
        await gate.OpenAsync();

        var error = Assert.CatchAsync<SqliteException>(() => duplicate);
        await Task.WhenAll(before, after).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.SameAs(thrownInUnit), "the unit's own exception object");
            Assert.That(MatchingDatabase.IsUniqueViolation(error!), Is.True);
            Assert.That(transactions, Has.Count.EqualTo(3));
            Assert.That(transactions.Distinct(), Has.Exactly(1).Items, "all three ran in one transaction");
            Assert.That(Db.WriteBatches - batches, Is.EqualTo(2), "the gate, then the three");
            Assert.That(Db.WriteUnits - units, Is.EqualTo(3), "the gate, before and after; the duplicate is not counted");
        });
        Assert.That(await TagsAsync(), Is.EqualTo(new[] { "first", "before", "after" }));
    }

    [Test]
    public async Task A_failed_commit_fails_every_unit_of_the_batch_and_stores_none_of_them()
    {
        var (batches, units) = (Db.WriteBatches, Db.WriteUnits);
        var gate = await Gate.HoldAsync(Db, Hold());

        var before = InsertAsync(Db, 1, "before");
        // A deferred foreign key is checked at COMMIT, so the unit itself succeeds and COMMIT fails.
        var orphan = Db.InTransactionAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
            "PRAGMA defer_foreign_keys = ON; INSERT INTO child (id, parent_id) VALUES (1, 999);", transaction: tx, cancellationToken: ct)), default).AsTask();
        var after = InsertAsync(Db, 2, "after");
        await gate.OpenAsync();

        var errors = new[] { before, orphan, after }.Select(t => Assert.CatchAsync<SqliteException>(() => t)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(errors[1]!.SqliteExtendedErrorCode, Is.EqualTo(787), "SQLITE_CONSTRAINT_FOREIGNKEY");
            Assert.That(errors[0], Is.SameAs(errors[1]), "the COMMIT's exception");
            Assert.That(errors[2], Is.SameAs(errors[1]), "the COMMIT's exception");
            Assert.That(Db.WriteBatches - batches, Is.EqualTo(1), "only the gate committed");
            Assert.That(Db.WriteUnits - units, Is.EqualTo(1));
        });
        Assert.That(await CountAsync("probe"), Is.Zero);
        Assert.That(await CountAsync("child"), Is.Zero);

        // The writer goes on, and the failed transaction left nothing behind on the pooled connection.
        await InsertAsync(Db, 3, "later");
        Assert.That(await TagsAsync(), Is.EqualTo(new[] { "later" }));
    }

    [Test]
    public async Task A_caller_is_answered_only_once_its_write_is_readable_from_a_new_connection()
    {
        var gate = await Gate.HoldAsync(Db, Hold());
        var written = InsertAsync(Db, 1, "written");
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowRelease = Hold();
        var slow = Db.InTransactionAsync(async (_, _, _) =>
        {
            slowStarted.SetResult();
            await slowRelease.Task;
            return 0;
        }, default).AsTask();
        await gate.OpenAsync();
        await slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The first write has run in the batch the slow unit now holds open. Not being answered
        // can only be observed over some time; 200 ms is far longer than handing over a result.
        var first = await Task.WhenAny(written, Task.Delay(TimeSpan.FromMilliseconds(200)));
        Assert.That(first, Is.Not.SameAs(written), "answered before its batch committed");
        Assert.That(await CountOnNewConnectionAsync(), Is.Zero, "not committed yet");

        slowRelease.SetResult();
        await written.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(await CountOnNewConnectionAsync(), Is.EqualTo(1));
        await slow.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [TestCase(1, 11)]
    [TestCase(3, 5)]
    [TestCase(256, 2)]
    public async Task The_batch_cap_bounds_the_units_of_one_transaction(int maxBatch, int expectedBatches)
    {
        var db = CreateDatabase(o => o.GroupCommitMaxBatch = maxBatch);
        var gate = await Gate.HoldAsync(db, Hold());

        var writes = Enumerable.Range(1, 10).Select(i => InsertAsync(db, i, null)).ToList();
        await gate.OpenAsync();
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(db.WriteUnits, Is.EqualTo(11), "the gate and ten writes");
            Assert.That(db.WriteBatches, Is.EqualTo(expectedBatches));
        });
        Assert.That(await CountAsync("probe"), Is.EqualTo(10));
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void The_batch_cap_is_at_least_one(int maxBatch)
    {
        Assert.That(() => CreateDatabase(o => o.GroupCommitMaxBatch = maxBatch),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains(nameof(DatabaseOptions.GroupCommitMaxBatch)));
    }

    [Test]
    public async Task A_unit_cancelled_while_queued_is_skipped_and_its_caller_told_at_once()
    {
        var gate = await Gate.HoldAsync(Db, Hold());
        using var cancellation = new CancellationTokenSource();
        var ran = false;
        var cancelled = Db.InTransactionAsync((c, tx, ct) =>
        {
            ran = true;
            return c.ExecuteAsync(new CommandDefinition(InsertProbe, new { Id = 1, Tag = "cancelled" }, tx, cancellationToken: ct));
        }, cancellation.Token).AsTask();
        var kept = InsertAsync(Db, 2, "kept");

        await cancellation.CancelAsync();

        // Answered while the writer is still held: the caller does not wait for the batch.
        Assert.That(() => cancelled.WaitAsync(TimeSpan.FromSeconds(30)), Throws.InstanceOf<OperationCanceledException>());
        await gate.OpenAsync();
        await kept.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(ran, Is.False);
        Assert.That(await TagsAsync(), Is.EqualTo(new[] { "kept" }));
    }

    [Test]
    public async Task A_unit_cancelled_after_it_started_is_answered_with_its_real_outcome()
    {
        using var cancellation = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = Hold();
        var write = Db.InTransactionAsync(async (c, tx, ct) =>
        {
            var n = await c.ExecuteAsync(new CommandDefinition(InsertProbe, new { Id = 1, Tag = "started" }, tx, cancellationToken: ct));
            started.SetResult();
            await release.Task;
            return n;
        }, cancellation.Token).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await cancellation.CancelAsync();
        release.SetResult();

        Assert.That(await write.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(1));
        Assert.That(await TagsAsync(), Is.EqualTo(new[] { "started" }));
    }

    [Test]
    public async Task Units_run_in_the_order_they_arrived_across_batches()
    {
        var db = CreateDatabase(o => o.GroupCommitMaxBatch = 7);
        var order = new List<int>();
        var gate = await Gate.HoldAsync(db, Hold());

        var writes = Enumerable.Range(0, 50).Select(i => db.InTransactionAsync((c, tx, ct) =>
        {
            // Units run one at a time on the writer loop, so the list needs no lock.
            order.Add(i);
            return c.ExecuteAsync(new CommandDefinition("INSERT INTO probe (tag) VALUES (@Tag)", new { Tag = $"{i}" }, tx, cancellationToken: ct));
        }, default).AsTask()).ToList();
        await gate.OpenAsync();
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(order, Is.EqualTo(Enumerable.Range(0, 50)));
        Assert.That(await TagsAsync(), Is.EqualTo(Enumerable.Range(0, 50).Select(i => $"{i}")), "rowids follow arrival");
    }

    [Test]
    public async Task A_transient_failure_of_a_unit_queues_it_again()
    {
        var attempts = 0;

        var result = await Db.InTransactionAsync(async (c, tx, ct) =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
            {
                throw new SqliteException("busy", 5);
            }

            return await c.ExecuteAsync(new CommandDefinition(InsertProbe, new { Id = 1, Tag = "retried" }, tx, cancellationToken: ct));
        }, default);

        Assert.That(result, Is.EqualTo(1));
        Assert.That(attempts, Is.EqualTo(2));
        Assert.That(await TagsAsync(), Is.EqualTo(new[] { "retried" }));
    }

    [Test]
    public async Task Disposing_commits_the_queued_writes_first_and_refuses_later_ones()
    {
        var db = CreateDatabase();
        var gate = await Gate.HoldAsync(db, Hold());
        var writes = Enumerable.Range(1, 5).Select(i => InsertAsync(db, i, null)).ToList();

        var disposed = db.DisposeAsync().AsTask();
        Assert.That(() => InsertAsync(db, 6, null), Throws.InstanceOf<ObjectDisposedException>());
        await gate.OpenAsync();
        await disposed.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(await CountAsync("probe"), Is.EqualTo(5), "committed before DisposeAsync returned");
        Assert.That(await Task.WhenAll(writes), Is.All.EqualTo(1));
    }

    private static Task<int> InsertAsync(MatchingDatabase db, int id, string? tag, List<DbTransaction>? transactions = null) =>
        db.InTransactionAsync((c, tx, ct) =>
        {
            transactions?.Add(tx);
            return c.ExecuteAsync(new CommandDefinition(InsertProbe, new { Id = id, Tag = tag }, tx, cancellationToken: ct));
        }, default).AsTask();

    private Task<IReadOnlyList<string?>> TagsAsync() =>
        Db.RunAsync<IReadOnlyList<string?>>(async (c, ct) =>
            (await c.QueryAsync<string?>(new CommandDefinition("SELECT tag FROM probe ORDER BY id", cancellationToken: ct))).ToList(), default).AsTask();

    // Outside the data source's pool, so nothing the writer's connection holds can be seen.
    private async Task<int> CountOnNewConnectionAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={SqliteFile};Pooling=False");
        await connection.OpenAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM probe");
    }

    /// <summary>Something a unit waits for; released at the latest when the test ends.</summary>
    private TaskCompletionSource Hold()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _held.Add(held);
        return held;
    }

    /// <summary>A unit that holds the writer loop, and with it the next batch, until opened.</summary>
    private sealed class Gate(TaskCompletionSource open, Task unit)
    {
        /// <summary>Queues the gate and returns once the writer is running it, so later units wait for the next batch.</summary>
        public static async Task<Gate> HoldAsync(MatchingDatabase db, TaskCompletionSource open)
        {
            var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var unit = db.InTransactionAsync(async (_, _, _) =>
            {
                running.SetResult();
                await open.Task;
                return 0;
            }, default).AsTask();
            await running.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return new Gate(open, unit);
        }

        /// <summary>Lets the writer go on and waits until the gate's own batch committed.</summary>
        public async Task OpenAsync()
        {
            open.SetResult();
            await unit.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
