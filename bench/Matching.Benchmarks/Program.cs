using BenchmarkDotNet.Running;
using Matching.Benchmarks;

// `compare ...` is the C# side of bench/compare-xgboost.sh; anything else goes to BenchmarkDotNet.
if (args is ["compare", .. var rest])
{
    return XgboostComparison.Run(rest);
}

BenchmarkSwitcher.FromAssembly(typeof(ScoringBenchmarks).Assembly).Run(args);
return 0;
