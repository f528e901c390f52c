using BenchmarkDotNet.Attributes;
using Matching.Data;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Microsoft.Data.Sqlite;

namespace Matching.Benchmarks;

/// <summary>
/// Concurrent writers each storing shortlists of 10 items into a fresh SQLite file (WAL, the
/// service's settings). <c>GroupCommitMaxBatch = 1</c> is the anchor: one transaction and one
/// fsync per shortlist, as before group commit. Each writer stores its shortlists one after
/// another, as a request handler does, so at most <see cref="Writers"/> units wait at once.
/// The commits a run took are printed as a <c>//</c> line after each iteration.
/// </summary>
public class GroupCommitBenchmarks
{
    private const int ShortlistsPerWriter = 20;
    private const int ItemsPerShortlist = 10;

    private Shortlist[][] _shortlists = [];
    private string _folder = "";
    private MatchingDatabase _db = null!;
    private ShortlistStore _store = null!;

    [Params(16)]
    public int Writers { get; set; }

    [Params(1, 256)]
    public int GroupCommitMaxBatch { get; set; }

    [GlobalSetup]
    public void CreateShortlists()
    {
        var at = new DateTimeOffset(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);
        _shortlists = Enumerable.Range(0, Writers)
            .Select(w => Enumerable.Range(0, ShortlistsPerWriter).Select(i => Shortlist($"c-{w}-{i}", at)).ToArray())
            .ToArray();
    }

    // A fresh file per iteration: the same shortlist ids are stored again, and the file's size
    // does not grow across iterations.
    [IterationSetup]
    public void CreateDatabase()
    {
        _folder = Path.Combine(Path.GetTempPath(), "matching-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _db = new MatchingDatabase(new DatabaseOptions
        {
            ConnectionString = $"Data Source={Path.Combine(_folder, "matching.db")}",
            GroupCommitMaxBatch = GroupCommitMaxBatch,
        });
        new Migrator(_db).ApplyAsync(TimeProvider.System).GetAwaiter().GetResult();
        _store = new ShortlistStore(_db);
    }

    [IterationCleanup]
    public void DeleteDatabase()
    {
        var (batches, units) = (_db.WriteBatches, _db.WriteUnits);
        _db.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"// {units} writes (with migrations) in {batches} commits");
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark]
    public Task StoreShortlists() => Task.WhenAll(_shortlists.Select(writer => Task.Run(async () =>
    {
        foreach (var shortlist in writer)
        {
            await _store.SaveAsync(shortlist);
        }
    })));

    private static Shortlist Shortlist(string clientId, DateTimeOffset at) => new(
        Id: Guid.NewGuid(),
        ClientId: clientId,
        Caller: "bench",
        CreatedAt: at,
        ModelVersion: "bench/1",
        FeatureSchema: PairFeatures.SchemaVersion,
        Request: new ClientPreferences(
            ClientId: clientId,
            Goals: [Goal.Anxiety, Goal.Sleep],
            Modalities: [new ModalityPreference(Modality.Cbt, PreferenceStrength.Strong)],
            Style: new StylePreference(0.3, null, 0.7),
            Languages: ["en"],
            Culture: null,
            Gender: null,
            Faith: null,
            Identity: null,
            Constraints: new HardConstraints("us-ny", SessionFormat.Video, null, "aetna", null, AgeGroups.Adults, Availability.WeekdayEvening)),
        ExcludedBy: new Dictionary<Constraint, int>(),
        Considered: 400,
        Eligible: 120,
        Items: Enumerable.Range(0, ItemsPerShortlist).Select(i => new ShortlistItem(
            Position: i + 1,
            TherapistId: $"t-{i}",
            Score: 1.0 - (0.05 * i),
            GoalsFit: 0.75,
            TasksFit: 0.5,
            BondFit: 0.625,
            Reasons: ["shares your goals", "evening availability"],
            Features: Enumerable.Range(0, PairFeatures.Count).Select(f => f / 16f).ToArray())).ToList());
}
