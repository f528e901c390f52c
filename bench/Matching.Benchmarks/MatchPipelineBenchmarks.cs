using BenchmarkDotNet.Attributes;
using Matching.Engine.Domain;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Benchmarks;

/// <summary>
/// The in-process match pipeline over the indexed directory at 1,000, 10,000 and 100,000
/// therapists, with the nightly-size model (200 trees, 8 leaves, prior weight 2): the hard
/// constraints alone, then with the pair features, then with the early-exit scoring (also with
/// the traversal kernel, the scorer before leaf bitvectors, as the anchor), then the whole match
/// (selection and explanations of the 10 shown). The request is the shape of
/// bench/scale-request.json (about a tenth of the directory eligible); each operation is one
/// match, cycling through 20 simulated clients asking it.
/// </summary>
[MemoryDiagnoser]
public class MatchPipelineBenchmarks
{
    private const int Clients = 20;
    private const int Limit = 10;

    private TherapistDirectory _directory = null!;
    private TherapistDirectory _priced = null!;
    private LearnedRankingModel _model = null!;
    private List<ClientPreferences> _clients = null!;
    private ulong[] _eligible = [];
    private ulong[] _scratch = [];
    private int[] _slots = [];
    private float[] _features = [];
    private double[] _scores = [];
    private int[] _survivors = [];
    private readonly int[] _excluded = new int[HardConstraintFilter.ConstraintCount];

    [Params(1_000, 10_000, 100_000)]
    public int Therapists { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (world, model) = RealisticRanking.Nightly(Console.WriteLine);
        _model = model;
        var tracks = RealisticRanking.TrackRecords(world);
        var random = new Random(8);
        _directory = TherapistDirectory.Create(
            Engine.Simulation.Simulator.Directory(Therapists, 8).Select(t => new Candidate(t, t.WeeklyNewClientCapacity, tracks[random.Next(tracks.Count)])).ToList(),
            Calendar.WeekStart(DateTimeOffset.UtcNow));
        _clients = world.Clients.Take(Clients).Select(Standard).ToList();
        _eligible = new ulong[_directory.Words];
        _scratch = new ulong[_directory.Words];
        _slots = new int[Therapists];
        _features = new float[Therapists * PairFeatures.Count];
        _scores = new double[Therapists];
        _survivors = new int[Therapists];
        // Capacity prices on a third of the therapists, up to half a score unit (about the spread
        // of the top ten's scores): the survivors of the early exit are no longer enough.
        var builder = _directory.ToBuilder();
        var prices = new Random(9);
        builder.SetPrices(_model.Version, _directory.ListedCandidates().Where(_ => prices.Next(3) == 0)
            .ToDictionary(c => c.Profile.Id, _ => prices.NextDouble() * 0.5), DateTimeOffset.UtcNow);
        _priced = builder.ToDirectory();
        var eligible = _clients.Select(c => Matcher.Rank(c, _directory, _model, Limit).Eligible).ToList();
        Console.WriteLine($"// {Therapists} therapists: eligible per request {eligible.Min()}-{eligible.Max()}, mean {eligible.Average():0}");
    }

    /// <summary>A simulated client's preferences with the constraints of the standard request.</summary>
    private static ClientPreferences Standard(ClientPreferences c) => c with
    {
        Languages = ["en"],
        Constraints = new HardConstraints("us-ca", SessionFormat.Either, "los-angeles", null, 180m, AgeGroups.Adults,
            Availability.WeekdayDaytime | Availability.WeekdayEvening | Availability.Weekend),
    };

    [Benchmark(OperationsPerInvoke = Clients)]
    public int Filter()
    {
        var eligible = 0;
        foreach (var c in _clients)
        {
            eligible += Eligible(c);
        }

        return eligible;
    }

    [Benchmark(OperationsPerInvoke = Clients)]
    public int FilterAndFeatures()
    {
        var eligible = 0;
        foreach (var c in _clients)
        {
            var n = Eligible(c);
            PairFeatures.Compute(c, _directory, _slots.AsSpan(0, n), _features.AsSpan(0, n * PairFeatures.Count));
            eligible += n;
        }

        return eligible;
    }

    [Benchmark(OperationsPerInvoke = Clients)]
    public int FilterFeaturesAndScore()
    {
        var survivors = 0;
        foreach (var c in _clients)
        {
            var n = Eligible(c);
            PairFeatures.Compute(c, _directory, _slots.AsSpan(0, n), _features.AsSpan(0, n * PairFeatures.Count));
            survivors += n == 0 ? 0 : _model.ScoreCandidates(_features.AsSpan(0, n * PairFeatures.Count), n, Limit, _scores.AsSpan(0, n), _survivors);
        }

        return survivors;
    }

    [Benchmark(OperationsPerInvoke = Clients)]
    public int FilterFeaturesAndScoreTraversal()
    {
        var survivors = 0;
        foreach (var c in _clients)
        {
            var n = Eligible(c);
            PairFeatures.Compute(c, _directory, _slots.AsSpan(0, n), _features.AsSpan(0, n * PairFeatures.Count));
            survivors += n == 0 ? 0 : _model.ScoreCandidates(_features.AsSpan(0, n * PairFeatures.Count), n, Limit, _scores.AsSpan(0, n), _survivors, ScoringKernel.Traversal);
        }

        return survivors;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Clients)]
    public int Match()
    {
        var shown = 0;
        foreach (var c in _clients)
        {
            shown += Matcher.Rank(c, _directory, _model, Limit).Ranked.Count;
        }

        return shown;
    }

    // The served default: one match in twenty gives its last position to an under-observed therapist.
    private readonly Exploration _exploration = new(Share: 0.05);
    private readonly Random _draws = new(7);

    [Benchmark(OperationsPerInvoke = Clients)]
    public int MatchWithExploration()
    {
        var shown = 0;
        foreach (var c in _clients)
        {
            shown += Matcher.Rank(c, _directory, _model, Limit, _exploration, _draws).Ranked.Count;
        }

        return shown;
    }

    [Benchmark(OperationsPerInvoke = Clients)]
    public int MatchWithCapacityPrices()
    {
        var shown = 0;
        foreach (var c in _clients)
        {
            shown += Matcher.Rank(c, _priced, _model, Limit).Ranked.Count;
        }

        return shown;
    }

    private int Eligible(ClientPreferences client)
    {
        HardConstraintFilter.Apply(client, _directory, _eligible, _scratch, _excluded);
        return Bits.Collect(_eligible, _slots);
    }
}
