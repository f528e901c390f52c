namespace Matching.Engine.Ranking;

/// <summary>NDCG after one boosting round, at each cut-off of <see cref="LambdaMartOptions.EvalAt"/>.</summary>
/// <param name="Iteration">1-based round (= number of trees so far).</param>
/// <param name="TrainNdcg">Mean NDCG on the training set, one value per cut-off.</param>
/// <param name="ValidNdcg">Mean NDCG on the validation set, or null when training had none.</param>
public sealed record IterationMetrics(int Iteration, IReadOnlyList<double> TrainNdcg, IReadOnlyList<double>? ValidNdcg);
