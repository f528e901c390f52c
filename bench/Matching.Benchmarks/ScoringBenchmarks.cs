using BenchmarkDotNet.Attributes;
using Matching.Engine.Ranking;

namespace Matching.Benchmarks;

/// <summary>Scoring a shortlist of candidates with a 300-tree, 31-leaf model, one thread.</summary>
[MemoryDiagnoser]
public class ScoringBenchmarks
{
    private LambdaMartModel _model = null!;
    private float[] _candidates = [];
    private double[] _scores = [];

    [Params(1_000, 10_000)]
    public int Candidates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // A low hessian floor lets trees on this small training set grow to their 31 leaves, the
        // shape of models trained on real volumes.
        var train = SyntheticRanking.Generate(queries: 300, docsPerQuery: 100, features: 80, seed: 1);
        _model = LambdaMartTrainer.Train(train, null, new LambdaMartOptions { Trees = 300, MinLeafHessian = 0.5 });
        var candidates = SyntheticRanking.Generate(queries: Candidates / 100, docsPerQuery: 100, features: 80, seed: 2);
        _candidates = candidates.Features;
        _scores = new double[Candidates];
    }

    [Benchmark]
    public void Score() => _model.Score(_candidates, Candidates, _scores);
}
