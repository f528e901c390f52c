using Dapper;

namespace Matching.Data;

/// <summary>Rows removed by an erasure, per table.</summary>
public sealed record ErasureReport(int Shortlists, int ShortlistItems, int Choices, int Ratings, int OutcomeEvents)
{
    /// <summary>All rows removed.</summary>
    public int Total => Shortlists + ShortlistItems + Choices + Ratings + OutcomeEvents;
}

/// <summary>
/// An erasure: the rows removed, and whether the database files were cleared of them too. False
/// only on SQLite when a reader kept using the write-ahead log for longer than
/// <see cref="DatabaseOptions.CheckpointPatience"/>: the rows are gone from every query, but
/// older page images may still sit in the log; erasing again (which removes nothing more) tries
/// to clear it again.
/// </summary>
public sealed record Erasure(ErasureReport Report, bool FilesCleared);

/// <summary>
/// Erasure on request: everything stored about one pseudonymous client goes in one transaction.
/// The erasure log keeps when and how many rows, never the client id. Models already trained
/// hold no per-client rows; they are aggregates and are replaced by the next nightly training.
/// </summary>
public sealed class ClientStore(MatchingDatabase db, TimeProvider clock)
{
    private const string Erase = """
        DELETE FROM outcome_event WHERE client_id = @ClientId OR shortlist_id IN (SELECT id FROM shortlist WHERE client_id = @ClientId);
        DELETE FROM alliance_rating WHERE client_id = @ClientId OR shortlist_id IN (SELECT id FROM shortlist WHERE client_id = @ClientId);
        DELETE FROM choice WHERE client_id = @ClientId OR shortlist_id IN (SELECT id FROM shortlist WHERE client_id = @ClientId);
        DELETE FROM shortlist_item WHERE shortlist_id IN (SELECT id FROM shortlist WHERE client_id = @ClientId);
        DELETE FROM shortlist WHERE client_id = @ClientId;
        """;

    private const string Log = "INSERT INTO erasure_log (erased_at, caller, rows_erased) VALUES (@At, @Caller, @Rows)";

    /// <summary>
    /// Erases the client's shortlists, choices, ratings and outcome events, then clears the
    /// database files of them (<see cref="MatchingDatabase.TruncateLogAsync"/>); returns what was
    /// removed and whether the files were cleared.
    /// </summary>
    public async Task<Erasure> EraseAsync(string clientId, string caller, CancellationToken ct = default)
    {
        var at = clock.GetUtcNow().UtcDateTime;
        var report = await db.InTransactionAsync(async (c, tx, token) =>
        {
            var args = new { ClientId = clientId };
            var counts = new int[5];
            var statements = Erase.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (var i = 0; i < statements.Length; i++)
            {
                counts[i] = await c.ExecuteAsync(new CommandDefinition(statements[i], args, tx, cancellationToken: token));
            }

            var report = new ErasureReport(Shortlists: counts[4], ShortlistItems: counts[3], Choices: counts[2], Ratings: counts[1], OutcomeEvents: counts[0]);
            await c.ExecuteAsync(new CommandDefinition(Log, new { At = at, Caller = caller, Rows = report.Total }, tx, cancellationToken: token));
            return report;
        }, ct);
        return new Erasure(report, await db.TruncateLogAsync(ct));
    }

    private const string Exists = """
        SELECT (SELECT COUNT(*) FROM shortlist WHERE client_id = @ClientId)
             + (SELECT COUNT(*) FROM alliance_rating WHERE client_id = @ClientId)
             + (SELECT COUNT(*) FROM outcome_event WHERE client_id = @ClientId)
        """;

    /// <summary>Rows stored about a client (shortlists, ratings, outcome events).</summary>
    public Task<int> CountRowsAsync(string clientId, CancellationToken ct = default) =>
        db.RunAsync((c, token) => c.ExecuteScalarAsync<int>(new CommandDefinition(Exists, new { ClientId = clientId }, cancellationToken: token)), ct).AsTask();
}
