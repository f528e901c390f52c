using BenchmarkDotNet.Attributes;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Benchmarks;

/// <summary>
/// One match's scoring with a nightly-size model (200 trees, 8 leaves, prior weight 2) over 1,000
/// eligible candidates: every candidate in full against the early exit that finds the top 10
/// exactly. Each operation is one match; the operations cycle through 40 simulated clients.
/// </summary>
[MemoryDiagnoser]
public class TopKScoringBenchmarks
{
    private const int Clients = 40;

    private RealisticRanking _data = null!;
    private IRankingModel _model = null!;
    private readonly double[] _scores = new double[RealisticRanking.CandidatesPerQuery];
    private readonly int[] _survivors = new int[RealisticRanking.CandidatesPerQuery];

    [Params(10)]
    public int Keep { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = RealisticRanking.Create(Clients, Console.WriteLine);
        _model = _data.Model;

        // Counts, unlike timings, do not depend on a busy machine.
        Console.WriteLine($"// early exit, keep {Keep}: {TopKMeasurement.Count(_data, PruningSchedule.Default, Keep)}");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Clients)]
    public void ScoreAll()
    {
        foreach (var q in _data.Queries)
        {
            _model.Score(q, RealisticRanking.CandidatesPerQuery, _scores);
        }
    }

    [Benchmark(OperationsPerInvoke = Clients)]
    public int ScoreTopK()
    {
        var survivors = 0;
        foreach (var q in _data.Queries)
        {
            survivors += _model.ScoreCandidates(q, RealisticRanking.CandidatesPerQuery, Keep, _scores, _survivors);
        }

        return survivors;
    }
}
