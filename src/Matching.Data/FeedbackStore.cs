using System.Text.Json;
using Dapper;
using Matching.Engine.Domain;
using Matching.Engine.Learning;
using Matching.Engine.Matching;

namespace Matching.Data;

/// <summary>An alliance rating as stored: raw items when given, and the normalised pillars.</summary>
public sealed record StoredRating(
    Guid ShortlistId,
    string ClientId,
    string TherapistId,
    AllianceInstrument Instrument,
    IReadOnlyList<int>? Items,
    int SessionNumber,
    AllianceScore Score,
    DateTimeOffset RatedAt);

/// <summary>An outcome event as stored.</summary>
public sealed record StoredOutcome(Guid ShortlistId, string ClientId, string TherapistId, OutcomeKind Kind, int? SessionNumber, DateTimeOffset OccurredAt);

/// <summary>Whether feedback could be attached to a shortlist and therapist.</summary>
public enum FeedbackResult
{
    /// <summary>Stored.</summary>
    Recorded,
    /// <summary>No such shortlist.</summary>
    ShortlistNotFound,
    /// <summary>The therapist was not on that shortlist.</summary>
    NotOnShortlist,
}

/// <summary>Alliance ratings and outcome events: the labels the model learns from.</summary>
public sealed class FeedbackStore(MatchingDatabase db)
{
    private const string ShortlistClient = "SELECT client_id FROM shortlist WHERE id = @ShortlistId";
    // The shortlist's therapists by its primary key, checked here: with both columns in the WHERE
    // clause SQLite's planner took the index on therapist_id and read every item of a popular
    // therapist (16,000 rows in the load test) for each rating.
    private const string OnShortlist = "SELECT therapist_id FROM shortlist_item WHERE shortlist_id = @ShortlistId";

    private const string InsertRating = """
        INSERT INTO alliance_rating (shortlist_id, client_id, therapist_id, instrument, items_json, session_number, goal, task, bond, overall, rated_at)
        VALUES (@ShortlistId, @ClientId, @TherapistId, @Instrument, @ItemsJson, @SessionNumber, @Goal, @Task, @Bond, @Overall, @RatedAt)
        """;

    private const string InsertOutcome = """
        INSERT INTO outcome_event (shortlist_id, client_id, therapist_id, kind, session_number, occurred_at)
        VALUES (@ShortlistId, @ClientId, @TherapistId, @Kind, @SessionNumber, @OccurredAt)
        """;

    /// <summary>
    /// Stores a rating for a therapist on a shortlist. The client id is taken from the shortlist,
    /// never from the caller, so feedback cannot be attached to another client.
    /// </summary>
    public Task<FeedbackResult> AddRatingAsync(Guid shortlistId, string therapistId, AllianceInstrument instrument, IReadOnlyList<int>? items, int sessionNumber, AllianceScore score, DateTimeOffset at, CancellationToken ct = default) =>
        AddCheckedAsync(shortlistId, therapistId, clientId => new CommandDefinition(InsertRating, RatingArgs(new StoredRating(shortlistId, clientId, therapistId, instrument, items, sessionNumber, score, at))), ct);

    /// <summary>Stores an outcome event for a therapist on a shortlist.</summary>
    public Task<FeedbackResult> AddOutcomeAsync(Guid shortlistId, string therapistId, OutcomeKind kind, int? sessionNumber, DateTimeOffset at, CancellationToken ct = default) =>
        AddCheckedAsync(shortlistId, therapistId, clientId => new CommandDefinition(InsertOutcome, OutcomeArgs(new StoredOutcome(shortlistId, clientId, therapistId, kind, sessionNumber, at))), ct);

    private async Task<FeedbackResult> AddCheckedAsync(Guid shortlistId, string therapistId, Func<string, CommandDefinition> insert, CancellationToken ct) =>
        await db.InTransactionAsync(async (c, tx, token) =>
        {
            var args = new { ShortlistId = shortlistId.ToString(), TherapistId = therapistId };
            var clientId = await c.ExecuteScalarAsync<string?>(new CommandDefinition(ShortlistClient, args, tx, cancellationToken: token));
            if (clientId is null)
            {
                return FeedbackResult.ShortlistNotFound;
            }

            if (!(await c.QueryAsync<string>(new CommandDefinition(OnShortlist, args, tx, cancellationToken: token))).Contains(therapistId, StringComparer.Ordinal))
            {
                return FeedbackResult.NotOnShortlist;
            }

            var command = insert(clientId);
            await c.ExecuteAsync(new CommandDefinition(command.CommandText, command.Parameters, tx, cancellationToken: token));
            return FeedbackResult.Recorded;
        }, ct);

    /// <summary>Stores many ratings and outcomes in one transaction, unchecked (simulated histories, imports).</summary>
    public async Task SaveManyAsync(IReadOnlyList<StoredRating> ratings, IReadOnlyList<StoredOutcome> outcomes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        ArgumentNullException.ThrowIfNull(outcomes);
        await db.InTransactionAsync(async (c, tx, token) =>
        {
            await c.ExecuteAsync(new CommandDefinition(InsertRating, ratings.Select(RatingArgs), tx, cancellationToken: token));
            await c.ExecuteAsync(new CommandDefinition(InsertOutcome, outcomes.Select(OutcomeArgs), tx, cancellationToken: token));
            return 0;
        }, ct);
    }

    private static object RatingArgs(StoredRating r) => new
    {
        ShortlistId = r.ShortlistId.ToString(),
        r.ClientId,
        r.TherapistId,
        Instrument = DomainJson.Name(r.Instrument),
        ItemsJson = r.Items is null ? null : JsonSerializer.Serialize(r.Items),
        r.SessionNumber,
        r.Score.Goal,
        r.Score.Task,
        r.Score.Bond,
        r.Score.Overall,
        RatedAt = r.RatedAt.UtcDateTime,
    };

    private static object OutcomeArgs(StoredOutcome o) => new
    {
        ShortlistId = o.ShortlistId.ToString(),
        o.ClientId,
        o.TherapistId,
        Kind = DomainJson.Name(o.Kind),
        o.SessionNumber,
        OccurredAt = o.OccurredAt.UtcDateTime,
    };

    private const string TrackOverall = """
        SELECT therapist_id AS TherapistId, COUNT(*) AS N, AVG(overall) AS Mean
        FROM alliance_rating WHERE rated_at <= @AsOf AND id <= @UpTo GROUP BY therapist_id
        """;

    private const string TrackByGoal = """
        SELECT r.therapist_id AS TherapistId, s.first_goal AS Goal, COUNT(*) AS N, AVG(r.overall) AS Mean
        FROM alliance_rating r JOIN shortlist s ON s.id = r.shortlist_id
        WHERE r.rated_at <= @AsOf AND r.id <= @UpTo AND s.first_goal IS NOT NULL
        GROUP BY r.therapist_id, s.first_goal
        """;

    /// <summary>
    /// Each therapist's alliance track record from ratings made up to <paramref name="asOf"/>
    /// and, when given, stored no later than the rating numbered <paramref name="upToRating"/>
    /// (see <see cref="RatingMarksAsync"/>).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, TrackRecord>> TrackRecordsAsync(DateTimeOffset asOf, long? upToRating = null, CancellationToken ct = default)
    {
        var args = new { AsOf = asOf.UtcDateTime, UpTo = upToRating ?? long.MaxValue };
        var (overall, byGoal) = await db.RunAsync(async (c, token) => (
            (await c.QueryAsync<TrackRow>(new CommandDefinition(TrackOverall, args, cancellationToken: token))).ToList(),
            (await c.QueryAsync<TrackRow>(new CommandDefinition(TrackByGoal, args, cancellationToken: token))).ToList()), ct);
        var goals = byGoal.GroupBy(r => r.TherapistId).ToDictionary(
            g => g.Key,
            g => (IReadOnlyDictionary<Goal, (int, double)>)g.ToDictionary(r => ParseGoal(r.Goal!), r => (r.N, r.Mean)));
        return overall.ToDictionary(
            r => r.TherapistId,
            r => new TrackRecord(r.N, r.Mean, goals.TryGetValue(r.TherapistId, out var d) ? d : new Dictionary<Goal, (int, double)>()));
    }

    private const string Marks = """
        SELECT (SELECT COALESCE(MAX(id), 0) FROM alliance_rating) AS Rating, (SELECT COALESCE(MAX(id), 0) FROM erasure_log) AS Erasure
        """;

    /// <summary>
    /// The number of the newest rating stored and of the newest erasure: where a reader that
    /// follows the ratings stands. Ratings are numbered in the order they are stored; on SQLite,
    /// whose one writer commits in that order, every rating numbered up to a mark read is already
    /// visible (<see cref="RatingsFollowInOrder"/>). An erasure deletes ratings, which no mark
    /// shows, so a follower reads the track records in full when the erasure mark moves.
    /// </summary>
    public async Task<(long Rating, long Erasure)> RatingMarksAsync(CancellationToken ct = default)
    {
        var row = await db.RunAsync((c, token) => c.QuerySingleAsync<MarkRow>(new CommandDefinition(Marks, cancellationToken: token)), ct);
        return (row.Rating, row.Erasure);
    }

    /// <summary>
    /// Whether ratings become visible in the order they are numbered, so that following them by
    /// number misses none: on SQLite (one writer); not on SQL Server, where concurrent
    /// transactions may commit a lower number after a higher one was read.
    /// </summary>
    public bool RatingsFollowInOrder => db.Engine == DatabaseEngine.Sqlite;

    private const string RatingsBetween = """
        SELECT r.therapist_id AS TherapistId, s.first_goal AS Goal, r.overall AS Overall
        FROM alliance_rating r LEFT JOIN shortlist s ON s.id = r.shortlist_id
        WHERE r.id > @After AND r.id <= @UpTo
        ORDER BY r.id
        """;

    /// <summary>The ratings numbered after <paramref name="after"/> up to <paramref name="upTo"/>, in order, with their client's first goal.</summary>
    public async Task<IReadOnlyList<(string TherapistId, Goal? FirstGoal, double Overall)>> RatingsBetweenAsync(long after, long upTo, CancellationToken ct = default)
    {
        var rows = await db.RunAsync((c, token) => c.QueryAsync<TrackRow>(new CommandDefinition(RatingsBetween, new { After = after, UpTo = upTo }, cancellationToken: token)), ct);
        return rows.Select(r => (r.TherapistId, r.Goal is null ? (Goal?)null : ParseGoal(r.Goal), r.Overall)).ToList();
    }

    private sealed record MarkRow
    {
        public long Rating { get; init; }

        public long Erasure { get; init; }
    }

    // The engines differ only in how the earliest rating is picked: LIMIT 1 (SQLite) or TOP 1 (SQL Server).
    private const string Labeled = """
        SELECT c.shortlist_id AS ShortlistId, c.client_id AS ClientId, c.therapist_id AS TherapistId, s.created_at AS ShownAt,
          s.first_goal AS FirstGoal, i.features AS Features, i.propensity AS Propensity, i.position AS Position,
          (SELECT {top} r.overall FROM alliance_rating r WHERE r.shortlist_id = c.shortlist_id AND r.therapist_id = c.therapist_id AND r.rated_at <= @AsOf
           ORDER BY r.session_number, r.rated_at {limit}) AS Alliance,
          (SELECT MIN(o.session_number) FROM outcome_event o WHERE o.shortlist_id = c.shortlist_id AND o.therapist_id = c.therapist_id
           AND o.kind = 'dropout' AND o.occurred_at <= @AsOf) AS DropoutSession,
          (SELECT COUNT(*) FROM outcome_event o WHERE o.shortlist_id = c.shortlist_id AND o.therapist_id = c.therapist_id
           AND o.kind = 'rematch' AND o.occurred_at <= @AsOf) AS Rematches
        FROM choice c
        JOIN shortlist s ON s.id = c.shortlist_id
        JOIN shortlist_item i ON i.shortlist_id = c.shortlist_id AND i.therapist_id = c.therapist_id
        WHERE s.created_at <= @AsOf AND s.feature_schema = @Schema
        ORDER BY s.created_at, c.shortlist_id
        """;

    private static readonly string LabeledSqlite = Labeled.Replace("{top} ", "", StringComparison.Ordinal).Replace("{limit}", "LIMIT 1", StringComparison.Ordinal);
    private static readonly string LabeledSqlServer = Labeled.Replace("{top}", "TOP 1", StringComparison.Ordinal).Replace(" {limit}", "", StringComparison.Ordinal);

    /// <summary>
    /// Every chosen therapist with the features logged when its shortlist was shown and the
    /// feedback known at <paramref name="asOf"/>: the raw material of training. Only shortlists
    /// logged with the current feature schema are used.
    /// </summary>
    public async Task<IReadOnlyList<LabeledPair>> LabeledPairsAsync(DateTimeOffset asOf, CancellationToken ct = default)
    {
        var rows = await db.RunAsync((c, token) => c.QueryAsync<LabeledRow>(new CommandDefinition(
            db.Sql(LabeledSqlite, LabeledSqlServer), new { AsOf = asOf.UtcDateTime, Schema = PairFeatures.SchemaVersion }, cancellationToken: token)), ct);
        return rows.Select(r => new LabeledPair(
            Guid.Parse(r.ShortlistId), r.ClientId, r.TherapistId, Utc.From(r.ShownAt), r.FirstGoal is null ? null : ParseGoal(r.FirstGoal),
            FeatureText.Parse(r.Features), r.Alliance, r.DropoutSession, r.Rematches > 0, r.Propensity ?? 1, r.Position)).ToList();
    }

    private sealed record LabeledRow
    {
        public string ShortlistId { get; init; } = "";

        public string ClientId { get; init; } = "";

        public string TherapistId { get; init; } = "";

        public DateTime ShownAt { get; init; }

        public string? FirstGoal { get; init; }

        public string Features { get; init; } = "";

        public double? Propensity { get; init; }

        public int Position { get; init; }

        public double? Alliance { get; init; }

        public int? DropoutSession { get; init; }

        public int Rematches { get; init; }
    }

    private static Goal ParseGoal(string name) => JsonSerializer.Deserialize<Goal>($"\"{name}\"", DomainJson.Options);

    private sealed record TrackRow
    {
        public string TherapistId { get; init; } = "";

        public string? Goal { get; init; }

        public int N { get; init; }

        public double Mean { get; init; }

        public double Overall { get; init; }
    }
}
