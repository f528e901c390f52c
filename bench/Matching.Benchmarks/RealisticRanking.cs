using Matching.Data;
using Matching.Engine.Domain;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;
using Matching.Training;
using Microsoft.Data.Sqlite;

namespace Matching.Benchmarks;

/// <summary>
/// A model trained the way the nightly run trains one (its settings, 200 trees without early
/// stopping, boosted from the rule-based prior) on a simulated year of 15,000 clients, and the
/// candidate rows of real matches: clients of that world against a directory ten times the
/// candidates wanted (10,000 for 1,000), each client's first eligible therapists after the hard
/// constraints.
/// </summary>
internal sealed class RealisticRanking
{
    /// <summary>Candidates per match at the 10,000-therapist scale.</summary>
    public const int DefaultCandidates = 1_000;

    private static readonly SimulationOptions World = new() { Therapists = 300, Clients = 15_000, Seed = 7 };

    private RealisticRanking(LearnedRankingModel model, int candidatesPerQuery, IReadOnlyList<float[]> queries, IReadOnlyList<int> eligible)
    {
        Model = model;
        CandidatesPerQuery = candidatesPerQuery;
        Queries = queries;
        Eligible = eligible;
    }

    public LearnedRankingModel Model { get; }

    /// <summary>Rows per match.</summary>
    public int CandidatesPerQuery { get; }

    /// <summary>The directory the candidates come from: ten times the candidates per match.</summary>
    public int DirectorySize => 10 * CandidatesPerQuery;

    /// <summary>Per client, <see cref="CandidatesPerQuery"/> rows of pair features, row-major.</summary>
    public IReadOnlyList<float[]> Queries { get; }

    /// <summary>Per client, how many of the directory passed the hard constraints.</summary>
    public IReadOnlyList<int> Eligible { get; }

    /// <summary>
    /// Simulates the world, trains (or reads the model trained by an earlier process from the temp
    /// folder: training takes a while and BenchmarkDotNet sets up every benchmark in a new process)
    /// and builds the candidates of the first <paramref name="clients"/> clients with at least
    /// <paramref name="candidatesPerQuery"/> of them in a directory ten times that size.
    /// </summary>
    public static RealisticRanking Create(int clients, int candidatesPerQuery = DefaultCandidates, Action<string>? log = null)
    {
        var (world, model) = Nightly(log);
        var (queries, eligible) = Candidates(world, clients, candidatesPerQuery);
        return new RealisticRanking(model, candidatesPerQuery, queries, eligible);
    }

    /// <summary>The simulated world and the nightly-size model trained on it (cached in the temp folder).</summary>
    public static (SimulationResult World, LearnedRankingModel Model) Nightly(Action<string>? log = null)
    {
        var world = Simulator.Run(World);
        var cache = Path.Combine(Path.GetTempPath(), "matching-benchmarks", $"topk-model-{World.Therapists}-{World.Clients}-{World.Seed}.json");
        LearnedRankingModel model;
        if (File.Exists(cache))
        {
            model = LearnedRankingModel.FromArtifact(File.ReadAllText(cache));
        }
        else
        {
            model = TrainAsync(world, log).GetAwaiter().GetResult();
            Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
            var partial = cache + $".{Environment.ProcessId}";
            File.WriteAllText(partial, model.ToArtifact());
            File.Move(partial, cache, overwrite: true);
        }

        return (world, model);
    }

    private static async Task<LearnedRankingModel> TrainAsync(SimulationResult world, Action<string>? log)
    {
        var file = Path.Combine(Path.GetTempPath(), $"matching-topk-{Guid.NewGuid():N}.db");
        try
        {
            var clock = TimeProvider.System;
            await using var db = new MatchingDatabase(new DatabaseOptions { Engine = DatabaseEngine.Sqlite, ConnectionString = $"Data Source={file}" });
            await new Migrator(db).ApplyAsync(clock);
            log?.Invoke($"writing the simulated history ({World.Clients} clients) to {file}");
            var feedback = new FeedbackStore(db);
            await SimulatedHistory.WriteAsync(world, new TherapistStore(db, clock), new ShortlistStore(db), feedback);

            var nightly = new TrainingSettings();
            var settings = nightly with { Model = nightly.Model with { Trees = 200, EarlyStoppingRounds = 0 } };
            var end = world.Outcomes.Select(o => o.At).Concat(world.Ratings.Select(r => r.At)).Max().AddDays(1);
            var history = await TrainingPipeline.LoadAsync(feedback, end, settings);
            log?.Invoke($"training 200 trees on {history.Train.Count} labeled matches");
            return TrainingPipeline.Train(history.Train, settings, "topk-benchmark").Model;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(file + suffix);
            }
        }
    }

    private static (List<float[]> Queries, List<int> Eligible) Candidates(SimulationResult world, int clients, int candidatesPerQuery)
    {
        // The directory has no history of its own: each therapist borrows the final track record
        // of a random therapist of the simulated world, so track features vary as in production.
        var tracks = TrackRecords(world);
        var random = new Random(World.Seed);
        var directory = Simulator.Directory(10 * candidatesPerQuery, World.Seed + 1)
            .Select(t => new Candidate(t, t.WeeklyNewClientCapacity, tracks[random.Next(tracks.Count)]))
            .ToList();
        var prior = AlliancePrior.Of(directory.Select(c => c.Track));

        var n = PairFeatures.Count;
        var queries = new List<float[]>();
        var eligible = new List<int>();
        foreach (var client in world.Clients)
        {
            var passing = directory.Where(c => HardConstraintFilter.FirstFailed(client, c.Profile, c.CapacityLeft) is null).ToList();
            if (passing.Count < candidatesPerQuery)
            {
                continue;
            }

            var rows = new float[candidatesPerQuery * n];
            for (var i = 0; i < candidatesPerQuery; i++)
            {
                PairFeatures.Compute(client, passing[i], prior, rows.AsSpan(i * n, n));
            }

            queries.Add(rows);
            eligible.Add(passing.Count);
            if (queries.Count == clients)
            {
                break;
            }
        }

        return (queries, eligible);
    }

    /// <summary>The final track record of every therapist of the world that has ratings.</summary>
    public static List<TrackRecord> TrackRecords(SimulationResult world)
    {
        var clients = world.Clients.ToDictionary(c => c.ClientId);
        var firstGoal = world.Shortlists.ToDictionary(s => s.ShortlistId, s => clients[s.ClientId].Goals.Count > 0 ? clients[s.ClientId].Goals[0] : (Goal?)null);
        return world.Ratings
            .GroupBy(r => r.TherapistId)
            .Select(g =>
            {
                var overall = g.Select(r => (Goal: firstGoal[r.ShortlistId], Value: AllianceScale.FromItems(AllianceInstrument.WaiSr, r.WaiSrItems.ToArray()).Overall)).ToList();
                var byGoal = overall.Where(o => o.Goal is not null)
                    .GroupBy(o => o.Goal!.Value)
                    .ToDictionary(x => x.Key, x => (x.Count(), x.Average(o => o.Value)));
                return new TrackRecord(overall.Count, overall.Average(o => o.Value), byGoal);
            })
            .Append(TrackRecord.None)
            .ToList();
    }
}
