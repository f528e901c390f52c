using BenchmarkDotNet.Attributes;
using Matching.Engine.Learning;
using Matching.Engine.Ranking;

namespace Matching.Benchmarks;

/// <summary>
/// One match's scoring with a nightly-size model (200 trees, 8 leaves, prior weight 2) over 1,000
/// or 10,000 eligible candidates: every candidate in full against the early exit that finds the
/// top 10 exactly, each with the traversal kernel (the scorer before leaf bitvectors: the
/// baseline) and with the kernel this machine picks. Each operation is one match; the operations
/// cycle through 40 simulated clients.
/// </summary>
[MemoryDiagnoser]
public class TopKScoringBenchmarks
{
    private const int Clients = 40;

    private RealisticRanking _data = null!;
    private LearnedRankingModel _model = null!;
    private double[] _scores = [];
    private int[] _survivors = [];

    [Params(RealisticRanking.DefaultCandidates, 10 * RealisticRanking.DefaultCandidates)]
    public int Candidates { get; set; }

    [Params(10)]
    public int Keep { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = RealisticRanking.Create(Clients, Candidates, Console.WriteLine);
        _model = _data.Model;
        _scores = new double[Candidates];
        _survivors = new int[Candidates];

        // Counts, unlike timings, do not depend on a busy machine.
        Console.WriteLine($"// early exit, keep {Keep}, kernel {_model.Model.PreferredKernel}: {TopKMeasurement.Count(_data, PruningSchedule.Default, Keep)}");
    }

    [Benchmark(OperationsPerInvoke = Clients)]
    public void ScoreAllTraversal()
    {
        foreach (var q in _data.Queries)
        {
            _model.Score(q, Candidates, _scores, ScoringKernel.Traversal);
        }
    }

    [Benchmark(OperationsPerInvoke = Clients)]
    public void ScoreAll()
    {
        foreach (var q in _data.Queries)
        {
            _model.Score(q, Candidates, _scores);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Clients)]
    public int ScoreTopKTraversal()
    {
        var survivors = 0;
        foreach (var q in _data.Queries)
        {
            survivors += _model.ScoreCandidates(q, Candidates, Keep, _scores, _survivors, ScoringKernel.Traversal);
        }

        return survivors;
    }

    [Benchmark(OperationsPerInvoke = Clients)]
    public int ScoreTopK()
    {
        var survivors = 0;
        foreach (var q in _data.Queries)
        {
            survivors += _model.ScoreCandidates(q, Candidates, Keep, _scores, _survivors);
        }

        return survivors;
    }
}
