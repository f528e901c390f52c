using BenchmarkDotNet.Running;
using Matching.Benchmarks;

// `compare ...` is the C# side of bench/compare-rankers.sh; anything else goes to BenchmarkDotNet.
if (args is ["compare", .. var rest])
{
    return XgboostComparison.Run(rest);
}

// `topk ...` measures how much the early-exit scorer prunes on the realistic model and candidates.
if (args is ["topk", .. var topK])
{
    return TopKMeasurement.Run(topK);
}

BenchmarkSwitcher.FromAssembly(typeof(ScoringBenchmarks).Assembly).Run(args);
return 0;
