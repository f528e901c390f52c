using System.Text.Json;
using Dapper;
using Matching.Engine.Domain;

namespace Matching.Data;

/// <summary>Where a model stands.</summary>
public enum ModelStatus
{
    /// <summary>Trained and stored, never activated (or not promoted).</summary>
    Candidate,
    /// <summary>The one model every replica serves.</summary>
    Active,
    /// <summary>Served before, replaced by another; can be activated again (rollback).</summary>
    Retired,
    /// <summary>Failed to load or validate; can never be activated.</summary>
    Rejected,
}

/// <summary>A model in the registry, without its artifact.</summary>
/// <param name="Version">Version name.</param>
/// <param name="Kind">The trainer that fitted it (<c>lambdamart</c>, <c>mlnet-lightgbm</c>, <c>mlnet-fasttree</c>).</param>
/// <param name="FeatureSchema">Feature schema.</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="StatusReason">Why, when it could not be served.</param>
/// <param name="ActivatedAt">When it was last activated.</param>
/// <param name="Metrics">Holdout metrics and sizes.</param>
/// <param name="Library">Library and version that trained it (null for models stored before this was recorded).</param>
/// <param name="HasSourceModel">Whether the training library's own model file is kept (ML.NET's zip).</param>
public sealed record ModelRecord(
    string Version,
    string Kind,
    string FeatureSchema,
    DateTimeOffset CreatedAt,
    ModelStatus Status,
    string? StatusReason,
    DateTimeOffset? ActivatedAt,
    IReadOnlyDictionary<string, double> Metrics,
    string? Library = null,
    bool HasSourceModel = false);

/// <summary>One challenger of a training run: the model, its trainer and library, and its holdout metrics.</summary>
public sealed record ChallengerResult(string Version, string Trainer, string Library, IReadOnlyDictionary<string, double> Metrics, double TrainSeconds);

/// <summary>An activation: which model, when, by whom, why.</summary>
public sealed record ModelActivation(string Version, DateTimeOffset ActivatedAt, string ActivatedBy, string Reason);

/// <summary>One training run and its decision.</summary>
public sealed record TrainingRunRecord(
    Guid Id,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    DateTimeOffset? DataFrom,
    DateTimeOffset DataTo,
    DateTimeOffset? HoldoutFrom,
    int TrainRows,
    int TrainQueries,
    int HoldoutRows,
    int HoldoutQueries,
    string ParametersJson,
    string? ChallengerVersion,
    string? ChampionVersion,
    IReadOnlyDictionary<string, double>? ChallengerMetrics,
    IReadOnlyDictionary<string, double>? ChampionMetrics,
    string Decision,
    string Reason,
    string? ReportPath)
{
    /// <summary>Every challenger the run fitted, best first (the first is <see cref="ChallengerVersion"/>); empty for a failed run.</summary>
    public IReadOnlyList<ChallengerResult> Challengers { get; init; } = [];
}

/// <summary>
/// The model registry: artifacts live in the database so every API replica sees the same models,
/// exactly one is active, and every activation and training run is recorded.
/// </summary>
public sealed class ModelStore(MatchingDatabase db, TimeProvider clock)
{
    private const string Insert = """
        INSERT INTO ranking_model (version, kind, feature_schema, created_at, status, status_reason, activated_at, metrics_json, artifact, library, source_model)
        VALUES (@Version, @Kind, @FeatureSchema, @CreatedAt, 'candidate', NULL, NULL, @MetricsJson, @Artifact, @Library, @SourceModel)
        """;

    /// <summary>Stores a trained model as a candidate.</summary>
    public Task AddAsync(string version, string kind, string featureSchema, IReadOnlyDictionary<string, double> metrics, string artifact, CancellationToken ct = default)
        => AddAsync(version, kind, featureSchema, metrics, artifact, null, null, ct);

    /// <summary>Stores a trained model as a candidate, with the library that trained it and that library's own model file.</summary>
    /// <param name="version">Version name.</param>
    /// <param name="kind">The trainer's name.</param>
    /// <param name="featureSchema">Feature schema.</param>
    /// <param name="metrics">Holdout metrics and sizes.</param>
    /// <param name="artifact">The engine's artifact, which serves.</param>
    /// <param name="library">Library and version.</param>
    /// <param name="sourceModel">The library's own model file (ML.NET's zip), or null.</param>
    /// <param name="ct">Cancels.</param>
    public Task AddAsync(string version, string kind, string featureSchema, IReadOnlyDictionary<string, double> metrics, string artifact, string? library, byte[]? sourceModel, CancellationToken ct = default)
    {
        var at = clock.GetUtcNow().UtcDateTime;
        return db.InTransactionAsync((c, tx, token) => c.ExecuteAsync(new CommandDefinition(Insert, new
        {
            Version = version,
            Kind = kind,
            FeatureSchema = featureSchema,
            CreatedAt = at,
            MetricsJson = JsonSerializer.Serialize(metrics),
            Artifact = artifact,
            Library = library,
            SourceModel = sourceModel,
        }, tx, cancellationToken: token)), ct).AsTask();
    }

    private const string SelectSourceModel = "SELECT source_model FROM ranking_model WHERE version = @Version";

    /// <summary>The training library's own model file (ML.NET's zip) of a model, or null.</summary>
    public Task<byte[]?> SourceModelAsync(string version, CancellationToken ct = default) =>
        db.RunAsync((c, token) => c.QuerySingleOrDefaultAsync<byte[]?>(new CommandDefinition(SelectSourceModel, new { Version = version }, cancellationToken: token)), ct).AsTask();

    private const string SelectModels = """
        SELECT version AS Version, kind AS Kind, feature_schema AS FeatureSchema, created_at AS CreatedAt, status AS Status,
          status_reason AS StatusReason, activated_at AS ActivatedAt, metrics_json AS MetricsJson, library AS Library,
          CASE WHEN source_model IS NULL THEN 0 ELSE 1 END AS HasSourceModel
        FROM ranking_model
        """;

    private const string SelectAll = SelectModels + " ORDER BY created_at DESC, version DESC";
    private const string SelectOne = SelectModels + " WHERE version = @Version";

    /// <summary>Every model, newest first.</summary>
    public async Task<IReadOnlyList<ModelRecord>> ListAsync(CancellationToken ct = default)
    {
        var rows = await db.RunAsync((c, token) => c.QueryAsync<ModelRow>(new CommandDefinition(SelectAll, cancellationToken: token)), ct);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>One model, or null.</summary>
    public async Task<ModelRecord?> GetAsync(string version, CancellationToken ct = default)
    {
        var row = await db.RunAsync((c, token) => c.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(SelectOne, new { Version = version }, cancellationToken: token)), ct);
        return row?.ToRecord();
    }

    private const string SelectActive = "SELECT version AS Version, artifact AS Artifact FROM ranking_model WHERE status = 'active'";

    /// <summary>The active model's version and artifact, or null when none is active (the rule-based baseline serves).</summary>
    public async Task<(string Version, string Artifact)?> ActiveAsync(CancellationToken ct = default)
    {
        var row = await db.RunAsync((c, token) => c.QuerySingleOrDefaultAsync<ArtifactRow>(new CommandDefinition(SelectActive, cancellationToken: token)), ct);
        return row is null ? null : (row.Version, row.Artifact);
    }

    private const string SelectActiveVersion = "SELECT version FROM ranking_model WHERE status = 'active'";

    /// <summary>The active version only: what replicas poll.</summary>
    public Task<string?> ActiveVersionAsync(CancellationToken ct = default) =>
        db.RunAsync((c, token) => c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(SelectActiveVersion, cancellationToken: token)), ct).AsTask();

    private const string SelectArtifact = "SELECT artifact FROM ranking_model WHERE version = @Version";

    /// <summary>A model's artifact, or null.</summary>
    public Task<string?> ArtifactAsync(string version, CancellationToken ct = default) =>
        db.RunAsync((c, token) => c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(SelectArtifact, new { Version = version }, cancellationToken: token)), ct).AsTask();

    private const string Retire = "UPDATE ranking_model SET status = 'retired' WHERE status = 'active'";
    private const string Activate = "UPDATE ranking_model SET status = 'active', status_reason = NULL, activated_at = @At WHERE version = @Version AND status <> 'rejected'";
    private const string LogActivation = "INSERT INTO model_activation (version, activated_at, activated_by, reason) VALUES (@Version, @At, @By, @Reason)";

    /// <summary>
    /// Makes <paramref name="version"/> the one active model, retiring the previous one, in one
    /// transaction. The caller has already loaded and validated the artifact. False when there is no
    /// such model or it was rejected.
    /// </summary>
    public async Task<bool> ActivateAsync(string version, string by, string reason, CancellationToken ct = default)
    {
        var at = clock.GetUtcNow().UtcDateTime;
        return await db.InTransactionAsync(async (c, tx, token) =>
        {
            var exists = await c.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT COUNT(*) FROM ranking_model WHERE version = @Version AND status <> 'rejected'", new { Version = version }, tx, cancellationToken: token));
            if (exists == 0)
            {
                return false;
            }

            await c.ExecuteAsync(new CommandDefinition(Retire, transaction: tx, cancellationToken: token));
            await c.ExecuteAsync(new CommandDefinition(Activate, new { Version = version, At = at }, tx, cancellationToken: token));
            await c.ExecuteAsync(new CommandDefinition(LogActivation, new { Version = version, At = at, By = by, Reason = reason }, tx, cancellationToken: token));
            return true;
        }, ct);
    }

    /// <summary>Retires the active model so the rule-based baseline serves (a rollback past every learned model).</summary>
    public async Task RetireActiveAsync(string baselineVersion, string by, string reason, CancellationToken ct = default)
    {
        var at = clock.GetUtcNow().UtcDateTime;
        await db.InTransactionAsync(async (c, tx, token) =>
        {
            await c.ExecuteAsync(new CommandDefinition(Retire, transaction: tx, cancellationToken: token));
            await c.ExecuteAsync(new CommandDefinition(LogActivation, new { Version = baselineVersion, At = at, By = by, Reason = reason }, tx, cancellationToken: token));
            return 0;
        }, ct);
    }

    private const string SelectActivations = "SELECT version AS Version, activated_at AS ActivatedAt, activated_by AS ActivatedBy, reason AS Reason FROM model_activation ORDER BY id DESC";

    /// <summary>Every activation, newest first.</summary>
    public async Task<IReadOnlyList<ModelActivation>> ActivationsAsync(CancellationToken ct = default)
    {
        var rows = await db.RunAsync((c, token) => c.QueryAsync<ActivationRow>(new CommandDefinition(SelectActivations, cancellationToken: token)), ct);
        return rows.Select(r => new ModelActivation(r.Version, Utc.From(r.ActivatedAt), r.ActivatedBy, r.Reason)).ToList();
    }

    private sealed record ActivationRow
    {
        public string Version { get; init; } = "";

        public DateTime ActivatedAt { get; init; }

        public string ActivatedBy { get; init; } = "";

        public string Reason { get; init; } = "";
    }

    private const string Reject = "UPDATE ranking_model SET status = 'rejected', status_reason = @Reason WHERE version = @Version AND status <> 'active'";

    /// <summary>Marks a model that failed to load or validate; an active model is never rejected this way (the registry keeps the reason instead).</summary>
    public Task<int> RejectAsync(string version, string reason, CancellationToken ct = default) =>
        db.InTransactionAsync((c, tx, token) => c.ExecuteAsync(new CommandDefinition(Reject, new { Version = version, Reason = Truncate(reason) }, tx, cancellationToken: token)), ct).AsTask();

    private const string Note = "UPDATE ranking_model SET status_reason = @Reason WHERE version = @Version";

    /// <summary>Records why a model could not be served (for example on a replica with another feature schema).</summary>
    public Task<int> NoteAsync(string version, string reason, CancellationToken ct = default) =>
        db.InTransactionAsync((c, tx, token) => c.ExecuteAsync(new CommandDefinition(Note, new { Version = version, Reason = Truncate(reason) }, tx, cancellationToken: token)), ct).AsTask();

    private const string InsertRun = """
        INSERT INTO training_run (id, started_at, finished_at, data_from, data_to, holdout_from, train_rows, train_queries, holdout_rows, holdout_queries,
          parameters_json, challenger_version, champion_version, challenger_json, champion_json, decision, reason, report_path, challengers_json)
        VALUES (@Id, @StartedAt, @FinishedAt, @DataFrom, @DataTo, @HoldoutFrom, @TrainRows, @TrainQueries, @HoldoutRows, @HoldoutQueries,
          @ParametersJson, @ChallengerVersion, @ChampionVersion, @ChallengerJson, @ChampionJson, @Decision, @Reason, @ReportPath, @ChallengersJson)
        """;

    /// <summary>Records a training run.</summary>
    public Task RecordRunAsync(TrainingRunRecord run, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return db.InTransactionAsync((c, tx, token) => c.ExecuteAsync(new CommandDefinition(InsertRun, new
        {
            Id = run.Id.ToString(),
            StartedAt = run.StartedAt.UtcDateTime,
            FinishedAt = run.FinishedAt.UtcDateTime,
            DataFrom = run.DataFrom?.UtcDateTime,
            DataTo = run.DataTo.UtcDateTime,
            HoldoutFrom = run.HoldoutFrom?.UtcDateTime,
            run.TrainRows,
            run.TrainQueries,
            run.HoldoutRows,
            run.HoldoutQueries,
            run.ParametersJson,
            run.ChallengerVersion,
            run.ChampionVersion,
            ChallengerJson = run.ChallengerMetrics is null ? null : JsonSerializer.Serialize(run.ChallengerMetrics),
            ChampionJson = run.ChampionMetrics is null ? null : JsonSerializer.Serialize(run.ChampionMetrics),
            run.Decision,
            Reason = Truncate(run.Reason),
            run.ReportPath,
            ChallengersJson = run.Challengers.Count == 0 ? null : JsonSerializer.Serialize(run.Challengers),
        }, tx, cancellationToken: token)), ct).AsTask();
    }

    private const string SelectRuns = """
        SELECT id AS Id, started_at AS StartedAt, finished_at AS FinishedAt, data_from AS DataFrom, data_to AS DataTo, holdout_from AS HoldoutFrom,
          train_rows AS TrainRows, train_queries AS TrainQueries, holdout_rows AS HoldoutRows, holdout_queries AS HoldoutQueries,
          parameters_json AS ParametersJson, challenger_version AS ChallengerVersion, champion_version AS ChampionVersion,
          challenger_json AS ChallengerJson, champion_json AS ChampionJson, decision AS Decision, reason AS Reason, report_path AS ReportPath,
          challengers_json AS ChallengersJson
        FROM training_run ORDER BY started_at DESC
        """;

    /// <summary>Every training run, newest first.</summary>
    public async Task<IReadOnlyList<TrainingRunRecord>> RunsAsync(CancellationToken ct = default)
    {
        var rows = await db.RunAsync((c, token) => c.QueryAsync<RunRow>(new CommandDefinition(SelectRuns, cancellationToken: token)), ct);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000];

    private static IReadOnlyDictionary<string, double> Metrics(string? json) =>
        json is null ? new Dictionary<string, double>() : JsonSerializer.Deserialize<Dictionary<string, double>>(json) ?? [];

    private sealed record ArtifactRow
    {
        public string Version { get; init; } = "";

        public string Artifact { get; init; } = "";
    }

    private sealed record ModelRow
    {
        public string Version { get; init; } = "";

        public string Kind { get; init; } = "";

        public string FeatureSchema { get; init; } = "";

        public DateTime CreatedAt { get; init; }

        public string Status { get; init; } = "";

        public string? StatusReason { get; init; }

        public DateTime? ActivatedAt { get; init; }

        public string MetricsJson { get; init; } = "{}";

        public string? Library { get; init; }

        public long HasSourceModel { get; init; }

        public ModelRecord ToRecord() => new(Version, Kind, FeatureSchema, Utc.From(CreatedAt),
            JsonSerializer.Deserialize<ModelStatus>($"\"{Status}\"", DomainJson.Options), StatusReason,
            ActivatedAt is { } a ? Utc.From(a) : null, Metrics(MetricsJson), Library, HasSourceModel != 0);
    }

    private sealed record RunRow
    {
        public string Id { get; init; } = "";

        public DateTime StartedAt { get; init; }

        public DateTime FinishedAt { get; init; }

        public DateTime? DataFrom { get; init; }

        public DateTime DataTo { get; init; }

        public DateTime? HoldoutFrom { get; init; }

        public int TrainRows { get; init; }

        public int TrainQueries { get; init; }

        public int HoldoutRows { get; init; }

        public int HoldoutQueries { get; init; }

        public string ParametersJson { get; init; } = "{}";

        public string? ChallengerVersion { get; init; }

        public string? ChampionVersion { get; init; }

        public string? ChallengerJson { get; init; }

        public string? ChampionJson { get; init; }

        public string Decision { get; init; } = "";

        public string Reason { get; init; } = "";

        public string? ReportPath { get; init; }

        public string? ChallengersJson { get; init; }

        public TrainingRunRecord ToRecord() => new(Guid.Parse(Id), Utc.From(StartedAt), Utc.From(FinishedAt),
            DataFrom is { } f ? Utc.From(f) : null, Utc.From(DataTo), HoldoutFrom is { } h ? Utc.From(h) : null,
            TrainRows, TrainQueries, HoldoutRows, HoldoutQueries, ParametersJson, ChallengerVersion, ChampionVersion,
            ChallengerJson is null ? null : Metrics(ChallengerJson), ChampionJson is null ? null : Metrics(ChampionJson), Decision, Reason, ReportPath)
        {
            Challengers = ChallengersJson is null ? [] : JsonSerializer.Deserialize<List<ChallengerResult>>(ChallengersJson) ?? [],
        };
    }
}
