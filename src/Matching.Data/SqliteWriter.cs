using System.Data.Common;
using System.Threading.Channels;

namespace Matching.Data;

/// <summary>
/// The one writer of this process for a SQLite file: group commit. Write units queue here; a
/// single loop takes every unit waiting (up to a cap), runs each in its own savepoint of one
/// transaction and commits once, so a burst of writers shares one fsync instead of queuing one
/// each. A caller hears the outcome only after the commit returned.
/// </summary>
internal sealed class SqliteWriter : IAsyncDisposable
{
    // One name serves every unit: each savepoint is released or rolled back before the next is set.
    private const string UnitSavepoint = "unit";

    private readonly DbDataSource _dataSource;
    private readonly int _maxBatch;
    private readonly Channel<WriteUnit> _queue = Channel.CreateUnbounded<WriteUnit>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _batches;
    private long _units;

    public SqliteWriter(DbDataSource dataSource, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _dataSource = dataSource;
        _maxBatch = maxBatch;
        _loop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Transactions committed that carried at least one unit.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Units whose writes those transactions committed (a unit rolled back to its savepoint is not counted).</summary>
    public long Units => Interlocked.Read(ref _units);

    /// <summary>
    /// Queues <paramref name="work"/>; the task completes after the transaction carrying it
    /// committed, or with the unit's own exception, or with the failure of BEGIN or COMMIT.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(ct);
        }

        var unit = new WriteUnit<T>(work, ct);
        if (!_queue.Writer.TryWrite(unit))
        {
            unit.Fail(new ObjectDisposedException(nameof(MatchingDatabase), "The database is disposed; no more writes are taken."));
        }

        return unit.Task;
    }

    /// <summary>Takes no more writes, lets the loop finish the ones queued, and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<WriteUnit>(Math.Min(_maxBatch, 1024));
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < _maxBatch && reader.TryRead(out var unit))
            {
                if (!unit.IsCancelled)
                {
                    batch.Add(unit);
                }
            }

            var next = 0;
            while (next < batch.Count)
            {
                try
                {
                    next = await CommitAsync(batch, next);
                }
                catch (Exception e)
                {
                    // CommitAsync answers every failure it expects. Anything else (closing the
                    // connection failed) still answers the batch, with an error since whether it
                    // committed is unknown here, rather than end the loop and leave every later
                    // writer of the process waiting for ever.
                    batch.Skip(next).ToList().ForEach(u => u.Fail(e));
                    next = batch.Count;
                }
            }

            batch.Clear();
        }
    }

    /// <summary>
    /// Runs <c>batch[start..]</c> in one transaction, each unit in its own savepoint, and commits
    /// once. Returns where the next transaction starts: the end of the batch, unless SQLite
    /// rolled the whole transaction back under a unit, in which case the units after it get a
    /// fresh transaction.
    /// </summary>
    private async Task<int> CommitAsync(List<WriteUnit> batch, int start)
    {
        var kept = new List<WriteUnit>(batch.Count - start);
        DbConnection? connection = null;
        DbTransaction? transaction = null;
        try
        {
            connection = await _dataSource.OpenConnectionAsync();
            transaction = await connection.BeginTransactionAsync();
            for (var i = start; i < batch.Count; i++)
            {
                var unit = batch[i];
                if (!unit.TryStart())
                {
                    continue;
                }

                await transaction.SaveAsync(UnitSavepoint);
                try
                {
                    await unit.RunAsync(connection, transaction);
                    await transaction.ReleaseAsync(UnitSavepoint);
                    kept.Add(unit);
                }
                catch (Exception e)
                {
                    var undone = await TryRollBackUnitAsync(transaction);
                    unit.Fail(e);
                    if (!undone)
                    {
                        // SQLite ended the transaction itself (full disk, I/O error): the units
                        // that ran before this one went with it and hear why; the rest of the
                        // batch has not run and goes in a new transaction.
                        kept.ForEach(k => k.Fail(e));
                        return i + 1;
                    }
                }
            }

            await transaction.CommitAsync();
        }
        catch (Exception e)
        {
            // BEGIN, a savepoint or COMMIT failed: nothing of this batch is stored. Units already
            // answered (their own failure, or cancelled) keep that answer; Fail does not overwrite.
            for (var i = start; i < batch.Count; i++)
            {
                batch[i].Fail(e);
            }

            return batch.Count;
        }
        finally
        {
            await EndAsync(transaction);
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        if (kept.Count > 0)
        {
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _units, kept.Count);
        }

        kept.ForEach(k => k.Complete());
        return batch.Count;
    }

    // Undoes the unit's writes and drops its savepoint; false when there is no transaction left to
    // undo them in.
    private static async Task<bool> TryRollBackUnitAsync(DbTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(UnitSavepoint);
            await transaction.ReleaseAsync(UnitSavepoint);
            return true;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            return false;
        }
    }

    // Disposing rolls back whatever the transaction still holds: a failed COMMIT (a deferred
    // foreign key, SQLITE_BUSY) leaves it open, and the connection must not go back to the pool so.
    // When SQLite already ended it, ROLLBACK fails with "no transaction is active", which is the
    // state wanted; an exception here must not stop the writer loop.
    private static async Task EndAsync(DbTransaction? transaction)
    {
        if (transaction is null)
        {
            return;
        }

        try
        {
            await transaction.DisposeAsync();
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            // Nothing left to roll back.
        }
    }

    /// <summary>A caller's write: its work, its outcome, and whether the writer or the caller's cancellation claimed it first.</summary>
    private abstract class WriteUnit
    {
        private const int Queued = 0;
        private const int Started = 1;
        private const int Cancelled = 2;

        private int _state;

        public bool IsCancelled => Volatile.Read(ref _state) == Cancelled;

        /// <summary>Claims the unit for the writer; false when its caller cancelled first.</summary>
        public bool TryStart()
        {
            if (Interlocked.CompareExchange(ref _state, Started, Queued) != Queued)
            {
                return false;
            }

            // Once started, the caller waits for the unit's real outcome: no early answer while its
            // writes may still commit.
            StopListening();
            return true;
        }

        /// <summary>Claims the unit for its caller's cancellation; false when the writer started it first.</summary>
        protected bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;

        /// <summary>
        /// Runs the work with its caller's token. Microsoft.Data.Sqlite checks a token only before
        /// each command and never interrupts a running statement, so a cancelled unit throws
        /// between its commands and only its own savepoint is rolled back.
        /// </summary>
        public abstract Task RunAsync(DbConnection connection, DbTransaction transaction);

        /// <summary>Hands the result to the caller; called after the commit returned.</summary>
        public abstract void Complete();

        /// <summary>Hands a failure to the caller, unless it was already answered.</summary>
        public abstract void Fail(Exception error);

        protected abstract void StopListening();
    }

    private sealed class WriteUnit<T> : WriteUnit
    {
        // Asynchronous continuations: callers must not run their own code on the writer loop.
        private readonly TaskCompletionSource<T> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Func<DbConnection, DbTransaction, CancellationToken, Task<T>> _work;
        private readonly CancellationToken _ct;
        private readonly CancellationTokenRegistration _cancellation;
        private T _result = default!;

        public WriteUnit(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct)
        {
            _work = work;
            _ct = ct;
            _cancellation = ct.Register(static (state, token) => ((WriteUnit<T>)state!).OnCancelled(token), this);
        }

        public Task<T> Task => _outcome.Task;

        public override async Task RunAsync(DbConnection connection, DbTransaction transaction) =>
            _result = await _work(connection, transaction, _ct);

        public override void Complete() => _outcome.TrySetResult(_result);

        public override void Fail(Exception error)
        {
            StopListening();
            _outcome.TrySetException(error);
        }

        protected override void StopListening() => _cancellation.Dispose();

        private void OnCancelled(CancellationToken token)
        {
            if (TryCancel())
            {
                _outcome.TrySetCanceled(token);
            }
        }
    }
}
