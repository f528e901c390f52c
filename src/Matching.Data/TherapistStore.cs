using System.Text;
using System.Text.Json;
using Dapper;
using Matching.Engine.Domain;

namespace Matching.Data;

/// <summary>A directory entry as stored: the profile, whether it is listed, and when it last changed.</summary>
public sealed record TherapistRecord(TherapistProfile Profile, bool Active, DateTimeOffset UpdatedAt);

/// <summary>Filters for listing the directory; null means any.</summary>
public sealed record TherapistFilter(
    string? Region = null,
    string? City = null,
    string? Language = null,
    Modality? Modality = null,
    Goal? Specialty = null,
    string? Insurance = null,
    bool? Accepting = null,
    bool? Active = true);

/// <summary>Therapists: the profile as JSON beside the columns and tags that queries filter on.</summary>
public sealed class TherapistStore(MatchingDatabase db, TimeProvider clock)
{
    private const string UpsertSqlite = """
        INSERT INTO therapist (id, display_name, profile_json, accepting, active, weekly_capacity, fee, updated_at)
        VALUES (@Id, @DisplayName, @Json, @Accepting, 1, @Capacity, @Fee, @At)
        ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, profile_json = excluded.profile_json,
          accepting = excluded.accepting, weekly_capacity = excluded.weekly_capacity, fee = excluded.fee,
          updated_at = excluded.updated_at
        """;

    private const string UpsertSqlServer = """
        MERGE therapist WITH (HOLDLOCK) AS t
        USING (SELECT @Id AS id) AS s ON t.id = s.id
        WHEN MATCHED THEN UPDATE SET display_name = @DisplayName, profile_json = @Json, accepting = @Accepting,
          weekly_capacity = @Capacity, fee = @Fee, updated_at = @At
        WHEN NOT MATCHED THEN INSERT (id, display_name, profile_json, accepting, active, weekly_capacity, fee, updated_at)
          VALUES (@Id, @DisplayName, @Json, @Accepting, 1, @Capacity, @Fee, @At);
        """;

    private const string Exists = "SELECT COUNT(*) FROM therapist WHERE id = @Id";
    private const string DeleteTags = "DELETE FROM therapist_tag WHERE therapist_id = @Id";
    private const string InsertTag = "INSERT INTO therapist_tag (therapist_id, kind, value) VALUES (@Id, @Kind, @Value)";

    /// <summary>Creates or replaces a profile; returns true when it was created. A deactivated therapist stays deactivated.</summary>
    public async Task<bool> UpsertAsync(TherapistProfile profile, CancellationToken ct = default)
    {
        var created = await UpsertManyAsync([profile], ct);
        return created == 1;
    }

    /// <summary>Creates or replaces many profiles in one transaction: all are stored or none. Returns how many were new.</summary>
    public async Task<int> UpsertManyAsync(IReadOnlyList<TherapistProfile> profiles, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var at = clock.GetUtcNow().UtcDateTime;
        return await db.InTransactionAsync(async (c, tx, token) =>
        {
            var created = 0;
            foreach (var p in profiles)
            {
                var exists = await c.ExecuteScalarAsync<int>(new CommandDefinition(Exists, new { p.Id }, tx, cancellationToken: token));
                created += exists == 0 ? 1 : 0;
                await c.ExecuteAsync(new CommandDefinition(db.Sql(UpsertSqlite, UpsertSqlServer), new
                {
                    p.Id,
                    p.DisplayName,
                    Json = JsonSerializer.Serialize(p, DomainJson.Options),
                    Accepting = p.AcceptingNewClients,
                    Capacity = p.WeeklyNewClientCapacity,
                    Fee = (double)p.Fee,
                    At = at,
                }, tx, cancellationToken: token));
                await c.ExecuteAsync(new CommandDefinition(DeleteTags, new { p.Id }, tx, cancellationToken: token));
                await c.ExecuteAsync(new CommandDefinition(InsertTag, Tags(p).Select(t => new { p.Id, t.Kind, t.Value }), tx, cancellationToken: token));
            }

            return created;
        }, ct);
    }

    private static IEnumerable<(string Kind, string Value)> Tags(TherapistProfile p) =>
        p.LicensedRegions.Select(v => ("region", v))
            .Concat(p.InPersonCities.Select(v => ("city", v)))
            .Concat(p.Languages.Select(v => ("language", v)))
            .Concat(p.Modalities.Select(v => ("modality", DomainJson.Name(v))))
            .Concat(p.Specialties.Select(v => ("specialty", DomainJson.Name(v))))
            .Concat(p.InsuranceAccepted.Select(v => ("insurance", v)))
            .Distinct();

    private const string SelectOne = "SELECT profile_json AS Json, active AS Active, updated_at AS UpdatedAt FROM therapist WHERE id = @Id";

    /// <summary>One therapist, or null.</summary>
    public async Task<TherapistRecord?> GetAsync(string id, CancellationToken ct = default)
    {
        var row = await db.RunAsync((c, token) => c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(SelectOne, new { Id = id }, cancellationToken: token)), ct);
        return row?.ToRecord();
    }

    private const string SelectMany = "SELECT profile_json FROM therapist WHERE id IN @Ids";

    /// <summary>The profiles of the given therapists that exist, listed or not, by id.</summary>
    public async Task<IReadOnlyDictionary<string, TherapistProfile>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return new Dictionary<string, TherapistProfile>();
        }

        var rows = await db.RunAsync((c, token) => c.QueryAsync<string>(new CommandDefinition(SelectMany, new { Ids = ids.Distinct().ToArray() }, cancellationToken: token)), ct);
        return rows.Select(Deserialize).ToDictionary(p => p.Id);
    }

    private const string ListedAmong = "SELECT id AS Id, updated_at AS UpdatedAt FROM therapist WHERE active = 1 AND id IN @Ids";

    /// <summary>Which of the given therapists are listed, each with when its listing last changed.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> ListedAmongAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var listed = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var chunk in ids.Distinct().Chunk(5000))
        {
            foreach (var row in await db.RunAsync((c, token) => c.QueryAsync<VersionRow>(new CommandDefinition(ListedAmong, new { Ids = chunk }, cancellationToken: token)), ct))
            {
                listed[row.Id] = Utc.From(row.UpdatedAt);
            }
        }

        return listed;
    }

    /// <summary>A page of the directory, ordered by id, and the total matching the filter.</summary>
    public async Task<(IReadOnlyList<TherapistRecord> Items, int Total)> ListAsync(TherapistFilter filter, int skip, int take, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var where = new StringBuilder("WHERE 1 = 1");
        var args = new DynamicParameters(new { Skip = skip, Take = take });
        void Tag(string kind, string? value)
        {
            if (value is null)
            {
                return;
            }

            where.Append($" AND EXISTS (SELECT 1 FROM therapist_tag g WHERE g.therapist_id = t.id AND g.kind = '{kind}' AND g.value = @{kind})");
            args.Add(kind, value);
        }

        Tag("region", filter.Region);
        Tag("city", filter.City);
        Tag("language", filter.Language);
        Tag("modality", filter.Modality is { } m ? DomainJson.Name(m) : null);
        Tag("specialty", filter.Specialty is { } s ? DomainJson.Name(s) : null);
        Tag("insurance", filter.Insurance);
        if (filter.Accepting is { } accepting)
        {
            where.Append(" AND t.accepting = @Accepting");
            args.Add("Accepting", accepting);
        }

        if (filter.Active is { } active)
        {
            where.Append(" AND t.active = @Active");
            args.Add("Active", active);
        }

        var page = db.Sql("LIMIT @Take OFFSET @Skip", "OFFSET @Skip ROWS FETCH NEXT @Take ROWS ONLY");
        var sql = $"""
            SELECT COUNT(*) FROM therapist t {where};
            SELECT t.profile_json AS Json, t.active AS Active, t.updated_at AS UpdatedAt FROM therapist t {where} ORDER BY t.id {page};
            """;
        return await db.RunAsync(async (c, token) =>
        {
            using var grid = await c.QueryMultipleAsync(new CommandDefinition(sql, args, cancellationToken: token));
            var total = await grid.ReadSingleAsync<int>();
            var rows = await grid.ReadAsync<Row>();
            return ((IReadOnlyList<TherapistRecord>)rows.Select(r => r.ToRecord()).ToList(), total);
        }, ct);
    }

    private const string SetActive = "UPDATE therapist SET active = @Active, updated_at = @At WHERE id = @Id";

    /// <summary>Lists or unlists a therapist; false when there is no such therapist. Shortlists and feedback that name it are kept.</summary>
    public async Task<bool> SetActiveAsync(string id, bool active, CancellationToken ct = default)
    {
        var at = clock.GetUtcNow().UtcDateTime;
        var n = await db.InTransactionAsync((c, tx, token) => c.ExecuteAsync(new CommandDefinition(SetActive, new { Id = id, Active = active, At = at }, tx, cancellationToken: token)), ct);
        return n == 1;
    }

    private const string SelectActive = "SELECT profile_json FROM therapist WHERE active = 1 ORDER BY id";

    /// <summary>Every listed therapist, for the matcher's in-memory directory.</summary>
    public async Task<IReadOnlyList<TherapistProfile>> ActiveProfilesAsync(CancellationToken ct = default)
    {
        var rows = await db.RunAsync((c, token) => c.QueryAsync<string>(new CommandDefinition(SelectActive, cancellationToken: token)), ct);
        return rows.Select(Deserialize).ToList();
    }

    private const string SelectListedVersions = "SELECT id AS Id, updated_at AS UpdatedAt FROM therapist WHERE active = 1";

    /// <summary>
    /// Every listed therapist's id with when its listing last changed: a directory rebuild reads
    /// again only the profiles that changed since the one before.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DateTime>> ListedVersionsAsync(CancellationToken ct = default)
    {
        var rows = await db.RunAsync((c, token) => c.QueryAsync<VersionRow>(new CommandDefinition(SelectListedVersions, cancellationToken: token)), ct);
        return rows.ToDictionary(r => r.Id, r => r.UpdatedAt, StringComparer.Ordinal);
    }

    private sealed record VersionRow
    {
        public string Id { get; init; } = "";

        public DateTime UpdatedAt { get; init; }
    }

    /// <summary>Number of therapists stored, listed or not.</summary>
    public Task<int> CountAsync(CancellationToken ct = default) =>
        db.RunAsync((c, token) => c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM therapist", cancellationToken: token)), ct).AsTask();

    internal static TherapistProfile Deserialize(string json) =>
        JsonSerializer.Deserialize<TherapistProfile>(json, DomainJson.Options) ?? throw new InvalidDataException("Empty therapist profile.");

    private sealed record Row
    {
        public string Json { get; init; } = "";

        public bool Active { get; init; }

        public DateTime UpdatedAt { get; init; }

        public TherapistRecord ToRecord() => new(Deserialize(Json), Active, Utc.From(UpdatedAt));
    }
}

/// <summary>Times are stored as UTC without an offset; this restores the offset.</summary>
internal static class Utc
{
    public static DateTimeOffset From(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
