using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using DbType = System.Data.DbType;

namespace Matching.Data;

/// <summary>A therapist on a stored shortlist, with the per-pillar fit shown and the features the model saw.</summary>
/// <remarks>
/// <see cref="Propensity"/> is the probability the therapist had of being shown at this position
/// given the items above it, under the policy that served the shortlist (null: not logged, read as
/// 1); <see cref="Explored"/> says whether the served exploration slot drew it.
/// </remarks>
public sealed record ShortlistItem(int Position, string TherapistId, double Score, double GoalsFit, double TasksFit, double BondFit, IReadOnlyList<string> Reasons, float[] Features,
    double? Propensity = null, bool Explored = false);

/// <summary>A shortlist as served: the request, who asked, when, which model, what was shown and what the constraints removed.</summary>
public sealed record Shortlist(
    Guid Id,
    string ClientId,
    string Caller,
    DateTimeOffset CreatedAt,
    string ModelVersion,
    string FeatureSchema,
    ClientPreferences Request,
    IReadOnlyDictionary<Constraint, int> ExcludedBy,
    int Considered,
    int Eligible,
    IReadOnlyList<ShortlistItem> Items);

/// <summary>The client's choice from a shortlist.</summary>
public sealed record Choice(Guid ShortlistId, string ClientId, string TherapistId, DateTimeOffset ChosenAt);

/// <summary>What became of a choice request.</summary>
public enum ChoiceResult
{
    /// <summary>Stored.</summary>
    Recorded,
    /// <summary>No such shortlist.</summary>
    ShortlistNotFound,
    /// <summary>The therapist was not on the shortlist.</summary>
    NotOnShortlist,
    /// <summary>A choice was already recorded for the shortlist.</summary>
    AlreadyChosen,
}

/// <summary>Shortlists served, their items, and choices. Every shortlist shown is logged so that
/// position bias and selection can be corrected and policies evaluated offline.</summary>
public sealed class ShortlistStore(MatchingDatabase db)
{
    private const string InsertShortlist = """
        INSERT INTO shortlist (id, client_id, caller, created_at, model_version, feature_schema, first_goal, request_json, excluded_json, considered, eligible)
        VALUES (@Id, @ClientId, @Caller, @CreatedAt, @ModelVersion, @FeatureSchema, @FirstGoal, @RequestJson, @ExcludedJson, @Considered, @Eligible)
        """;

    private const string InsertItem = """
        INSERT INTO shortlist_item (shortlist_id, position, therapist_id, score, goals_fit, tasks_fit, bond_fit, reasons_json, features, propensity, explored)
        VALUES (@ShortlistId, @Position, @TherapistId, @Score, @GoalsFit, @TasksFit, @BondFit, @ReasonsJson, @Features, @Propensity, @Explored)
        """;

    /// <summary>Stores a shortlist and its items in one transaction.</summary>
    public Task SaveAsync(Shortlist shortlist, CancellationToken ct = default) => SaveManyAsync([shortlist], ct);

    /// <summary>
    /// Stores many shortlists in one transaction (simulated histories, imports). This is the one
    /// write every match makes, so it runs two commands with their parameters made once (named
    /// with their prefix, as both engines bind them) and only their values set per row, rather
    /// than building a parameter set per row.
    /// </summary>
    public async Task SaveManyAsync(IReadOnlyList<Shortlist> shortlists, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(shortlists);
        await db.InTransactionAsync(async (c, tx, token) =>
        {
            await using var head = Command(c, tx, InsertShortlist,
                ("@Id", DbType.String), ("@ClientId", DbType.String), ("@Caller", DbType.String), ("@CreatedAt", DbType.DateTime2),
                ("@ModelVersion", DbType.String), ("@FeatureSchema", DbType.String), ("@FirstGoal", DbType.String), ("@RequestJson", DbType.String),
                ("@ExcludedJson", DbType.String), ("@Considered", DbType.Int32), ("@Eligible", DbType.Int32));
            await using var item = Command(c, tx, InsertItem,
                ("@ShortlistId", DbType.String), ("@Position", DbType.Int32), ("@TherapistId", DbType.String), ("@Score", DbType.Double),
                ("@GoalsFit", DbType.Double), ("@TasksFit", DbType.Double), ("@BondFit", DbType.Double), ("@ReasonsJson", DbType.String),
                ("@Features", DbType.String), ("@Propensity", DbType.Double), ("@Explored", DbType.Boolean));
            foreach (var s in shortlists)
            {
                var id = s.Id.ToString();
                var h = head.Parameters;
                h[0].Value = id;
                h[1].Value = s.ClientId;
                h[2].Value = s.Caller;
                h[3].Value = s.CreatedAt.UtcDateTime;
                h[4].Value = s.ModelVersion;
                h[5].Value = s.FeatureSchema;
                h[6].Value = s.Request.Goals.Count > 0 ? DomainJson.Name(s.Request.Goals[0]) : (object)DBNull.Value;
                h[7].Value = JsonSerializer.Serialize(s.Request, DomainJson.Options);
                h[8].Value = JsonSerializer.Serialize(s.ExcludedBy, DomainJson.Options);
                h[9].Value = s.Considered;
                h[10].Value = s.Eligible;
                await head.ExecuteNonQueryAsync(token);
                var p = item.Parameters;
                p[0].Value = id;
                for (var n = 0; n < s.Items.Count; n++)
                {
                    var i = s.Items[n];
                    p[1].Value = i.Position;
                    p[2].Value = i.TherapistId;
                    p[3].Value = i.Score;
                    p[4].Value = i.GoalsFit;
                    p[5].Value = i.TasksFit;
                    p[6].Value = i.BondFit;
                    p[7].Value = JsonSerializer.Serialize(i.Reasons, DomainJson.Options);
                    p[8].Value = FeatureText.Format(i.Features);
                    p[9].Value = i.Propensity switch { null => DBNull.Value, 1.0 => BoxedOne, { } propensity => propensity };
                    p[10].Value = i.Explored ? BoxedTrue : BoxedFalse;
                    await item.ExecuteNonQueryAsync(token);
                }
            }

            return 0;
        }, ct);
    }

    // Nearly every item is at propensity 1 and not explored: one box each instead of two per item.
    private static readonly object BoxedOne = 1.0, BoxedTrue = true, BoxedFalse = false;

    private static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql, params (string Name, DbType Type)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, type) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.DbType = type;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private const string SelectShortlist = """
        SELECT id AS Id, client_id AS ClientId, caller AS Caller, created_at AS CreatedAt, model_version AS ModelVersion,
          feature_schema AS FeatureSchema, request_json AS RequestJson, excluded_json AS ExcludedJson,
          considered AS Considered, eligible AS Eligible
        FROM shortlist WHERE id = @Id;
        SELECT position AS Position, therapist_id AS TherapistId, score AS Score, goals_fit AS GoalsFit, tasks_fit AS TasksFit,
          bond_fit AS BondFit, reasons_json AS ReasonsJson, features AS Features, propensity AS Propensity, explored AS Explored
        FROM shortlist_item WHERE shortlist_id = @Id ORDER BY position;
        SELECT therapist_id FROM choice WHERE shortlist_id = @Id;
        """;

    /// <summary>A stored shortlist with its choice (therapist id) if one was made; null when there is none.</summary>
    public async Task<(Shortlist Shortlist, string? ChosenTherapistId)?> GetAsync(Guid id, CancellationToken ct = default) =>
        await db.RunAsync<(Shortlist, string?)?>(async (c, token) =>
        {
            using var grid = await c.QueryMultipleAsync(new CommandDefinition(SelectShortlist, new { Id = id.ToString() }, cancellationToken: token));
            var head = await grid.ReadSingleOrDefaultAsync<HeadRow>();
            if (head is null)
            {
                return null;
            }

            var items = (await grid.ReadAsync<ItemRow>()).Select(i => i.ToItem()).ToList();
            var chosen = await grid.ReadSingleOrDefaultAsync<string>();
            return (head.ToShortlist(items), chosen);
        }, ct);

    private const string FirstGoalOf = "SELECT first_goal FROM shortlist WHERE id = @Id";

    /// <summary>The first goal of a stored shortlist's request (what a therapist's per-goal track record is kept by), or null.</summary>
    public async Task<Goal?> FirstGoalAsync(Guid id, CancellationToken ct = default)
    {
        var name = await db.RunAsync((c, token) => c.ExecuteScalarAsync<string?>(new CommandDefinition(FirstGoalOf, new { Id = id.ToString() }, cancellationToken: token)), ct);
        return name is null ? null : JsonSerializer.Deserialize<Goal>($"\"{name}\"", DomainJson.Options);
    }

    // By the primary key only (see FeedbackStore.OnShortlist for why not by therapist too).
    private const string ItemsOfShortlist = "SELECT therapist_id FROM shortlist_item WHERE shortlist_id = @Id";
    private const string ClientOf = "SELECT client_id FROM shortlist WHERE id = @Id";
    private const string ChoiceExists = "SELECT COUNT(*) FROM choice WHERE shortlist_id = @Id";
    private const string InsertChoice = "INSERT INTO choice (shortlist_id, client_id, therapist_id, chosen_at) VALUES (@Id, @ClientId, @TherapistId, @At)";

    /// <summary>
    /// Records which therapist the client chose from a shortlist; one choice per shortlist. Two
    /// concurrent choices for one shortlist: the loser gets <see cref="ChoiceResult.AlreadyChosen"/>
    /// from the primary key, whatever the isolation level.
    /// </summary>
    public async Task<ChoiceResult> RecordChoiceAsync(Guid shortlistId, string therapistId, DateTimeOffset at, CancellationToken ct = default)
    {
        try
        {
            return await TryRecordChoiceAsync(shortlistId, therapistId, at, ct);
        }
        catch (System.Data.Common.DbException e) when (MatchingDatabase.IsUniqueViolation(e))
        {
            return ChoiceResult.AlreadyChosen;
        }
    }

    private async Task<ChoiceResult> TryRecordChoiceAsync(Guid shortlistId, string therapistId, DateTimeOffset at, CancellationToken ct) =>
        await db.InTransactionAsync(async (c, tx, token) =>
        {
            var args = new { Id = shortlistId.ToString(), TherapistId = therapistId, At = at.UtcDateTime, ClientId = "" };
            var clientId = await c.ExecuteScalarAsync<string?>(new CommandDefinition(ClientOf, args, tx, cancellationToken: token));
            if (clientId is null)
            {
                return ChoiceResult.ShortlistNotFound;
            }

            if (!(await c.QueryAsync<string>(new CommandDefinition(ItemsOfShortlist, args, tx, cancellationToken: token))).Contains(therapistId, StringComparer.Ordinal))
            {
                return ChoiceResult.NotOnShortlist;
            }

            if (await c.ExecuteScalarAsync<int>(new CommandDefinition(ChoiceExists, args, tx, cancellationToken: token)) > 0)
            {
                return ChoiceResult.AlreadyChosen;
            }

            await c.ExecuteAsync(new CommandDefinition(InsertChoice, args with { ClientId = clientId }, tx, cancellationToken: token));
            return ChoiceResult.Recorded;
        }, ct);

    private const string InsertChoices = "INSERT INTO choice (shortlist_id, client_id, therapist_id, chosen_at) VALUES (@Id, @ClientId, @TherapistId, @At)";

    /// <summary>Stores many choices in one transaction, unchecked (simulated histories).</summary>
    public async Task SaveChoicesAsync(IReadOnlyList<Choice> choices, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(choices);
        await db.InTransactionAsync((c, tx, token) => c.ExecuteAsync(new CommandDefinition(InsertChoices,
            choices.Select(x => new { Id = x.ShortlistId.ToString(), x.ClientId, x.TherapistId, At = x.ChosenAt.UtcDateTime }),
            tx, cancellationToken: token)), ct);
    }

    /// <summary>Number of shortlists stored.</summary>
    public Task<int> CountAsync(CancellationToken ct = default) =>
        db.RunAsync((c, token) => c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM shortlist", cancellationToken: token)), ct).AsTask();

    private const string ChoicesSince = "SELECT therapist_id AS TherapistId, COUNT(*) AS N FROM choice WHERE chosen_at >= @Since GROUP BY therapist_id";

    /// <summary>New clients per therapist since <paramref name="since"/> (the start of the week): what weekly capacity is measured against.</summary>
    public async Task<IReadOnlyDictionary<string, int>> NewClientsSinceAsync(DateTimeOffset since, CancellationToken ct = default)
    {
        var rows = await db.RunAsync((c, token) => c.QueryAsync<CountRow>(new CommandDefinition(ChoicesSince, new { Since = since.UtcDateTime }, cancellationToken: token)), ct);
        return rows.ToDictionary(r => r.TherapistId, r => r.N);
    }

    private const string RequestsSince = """
        SELECT client_id AS ClientId, request_json AS RequestJson, created_at AS CreatedAt
        FROM shortlist WHERE created_at >= @Since AND created_at < @Until
          AND client_id NOT IN (SELECT client_id FROM shortlist WHERE created_at < @Since)
        ORDER BY created_at, id
        """;

    /// <summary>First requests of the clients who first arrived in [since, until), in arrival order: the holdout clients of an evaluation.</summary>
    public async Task<IReadOnlyList<(ClientPreferences Request, DateTimeOffset At)>> FirstRequestsAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken ct = default)
    {
        var rows = await db.RunAsync((c, token) => c.QueryAsync<RequestRow>(new CommandDefinition(
            RequestsSince, new { Since = since.UtcDateTime, Until = until.UtcDateTime }, cancellationToken: token)), ct);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return rows.Where(r => seen.Add(r.ClientId))
            .Select(r => (JsonSerializer.Deserialize<ClientPreferences>(r.RequestJson, DomainJson.Options)!, Utc.From(r.CreatedAt)))
            .ToList();
    }

    private sealed record RequestRow
    {
        public string ClientId { get; init; } = "";

        public string RequestJson { get; init; } = "";

        public DateTime CreatedAt { get; init; }
    }

    private sealed record CountRow
    {
        public string TherapistId { get; init; } = "";

        public int N { get; init; }
    }

    private sealed record HeadRow
    {
        public string Id { get; init; } = "";

        public string ClientId { get; init; } = "";

        public string Caller { get; init; } = "";

        public DateTime CreatedAt { get; init; }

        public string ModelVersion { get; init; } = "";

        public string FeatureSchema { get; init; } = "";

        public string RequestJson { get; init; } = "";

        public string ExcludedJson { get; init; } = "";

        public int Considered { get; init; }

        public int Eligible { get; init; }

        public Shortlist ToShortlist(IReadOnlyList<ShortlistItem> items) => new(
            Guid.Parse(Id),
            ClientId,
            Caller,
            Utc.From(CreatedAt),
            ModelVersion,
            FeatureSchema,
            JsonSerializer.Deserialize<ClientPreferences>(RequestJson, DomainJson.Options)!,
            JsonSerializer.Deserialize<Dictionary<Constraint, int>>(ExcludedJson, DomainJson.Options)!,
            Considered,
            Eligible,
            items);
    }

    private sealed record ItemRow
    {
        public int Position { get; init; }

        public string TherapistId { get; init; } = "";

        public double Score { get; init; }

        public double GoalsFit { get; init; }

        public double TasksFit { get; init; }

        public double BondFit { get; init; }

        public string ReasonsJson { get; init; } = "[]";

        public string Features { get; init; } = "";

        public double? Propensity { get; init; }

        public bool? Explored { get; init; }

        public ShortlistItem ToItem() => new(Position, TherapistId, Score, GoalsFit, TasksFit, BondFit,
            JsonSerializer.Deserialize<List<string>>(ReasonsJson, DomainJson.Options)!, FeatureText.Parse(Features), Propensity, Explored ?? false);
    }
}

/// <summary>Feature vectors as stored: comma-separated round-trip floats.</summary>
internal static class FeatureText
{
    public static string Format(float[] features)
    {
        // One string, no string per value: a float's round-trip form is at most 16 characters.
        var size = Math.Max(1, features.Length * 17);
        Span<char> text = size <= 1024 ? stackalloc char[size] : new char[size];
        var length = 0;
        for (var i = 0; i < features.Length; i++)
        {
            if (i > 0)
            {
                text[length++] = ',';
            }

            features[i].TryFormat(text[length..], out var written, "R", CultureInfo.InvariantCulture);
            length += written;
        }

        return new string(text[..length]);
    }

    public static float[] Parse(string text) => text.Length == 0
        ? []
        : text.Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
