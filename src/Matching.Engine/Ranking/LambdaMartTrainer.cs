namespace Matching.Engine.Ranking;

/// <summary>
/// Trains a <see cref="LambdaMartModel"/>: gradient-boosted regression trees fitted to LambdaRank
/// gradients of NDCG, starting from score 0.
/// </summary>
public static class LambdaMartTrainer
{
    /// <summary>
    /// Trains a model. With the same data, options, seed and thread count the model (and its saved
    /// bytes) is identical on every run.
    /// </summary>
    /// <param name="train">Training rows grouped into queries.</param>
    /// <param name="valid">Optional validation set (same feature count) for per-round metrics and early stopping.</param>
    /// <param name="options">Training parameters; validated first.</param>
    /// <param name="progress">Receives the metrics after every round.</param>
    /// <param name="cancellationToken">Checked before every round.</param>
    /// <param name="trainBaseScores">
    /// Optional starting score per training row (LightGBM's <c>init_score</c>): the trees learn
    /// corrections to a prior model instead of starting from 0. The returned model holds only the
    /// trees; the caller adds the prior back when scoring.
    /// </param>
    /// <param name="validBaseScores">Starting scores of the validation rows, required with <paramref name="trainBaseScores"/> and a validation set.</param>
    /// <exception cref="ArgumentException">Invalid options, mismatched datasets, or labels with no custom gain.</exception>
    public static LambdaMartModel Train(
        RankingDataset train,
        RankingDataset? valid,
        LambdaMartOptions options,
        IProgress<IterationMetrics>? progress = null,
        CancellationToken cancellationToken = default,
        IReadOnlyList<double>? trainBaseScores = null,
        IReadOnlyList<double>? validBaseScores = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Rows == 0)
        {
            throw new ArgumentException("The training set has no rows.", nameof(train));
        }

        if (valid is not null && valid.FeatureCount != train.FeatureCount)
        {
            throw new ArgumentException($"The validation set has {valid.FeatureCount} features, the training set {train.FeatureCount}.", nameof(valid));
        }

        var rows = train.Rows;
        var objective = new LambdaRankObjective(train, options);
        var trainEval = new NdcgEvaluator(train, options.EvalAt, options.LabelGains);
        var validEval = valid is null ? null : new NdcgEvaluator(valid, options.EvalAt, options.LabelGains);
        var bins = FeatureBins.Build(train, options.MaxBins, options.Threads);
        var learner = new TreeLearner(bins, options);

        if (trainBaseScores is not null && trainBaseScores.Count != rows)
        {
            throw new ArgumentException($"{trainBaseScores.Count} base scores for {rows} training rows.", nameof(trainBaseScores));
        }

        if (valid is not null && (trainBaseScores is null) != (validBaseScores is null || validBaseScores.Count != valid.Rows))
        {
            throw new ArgumentException("With base scores, the validation rows need one base score each.", nameof(validBaseScores));
        }

        var scores = trainBaseScores?.ToArray() ?? new double[rows];
        var validScores = valid is null ? null : validBaseScores?.ToArray() ?? new double[valid.Rows];
        var gradients = new double[rows];
        var hessians = new double[rows];
        var bag = new int[rows];
        var outOfBag = new int[rows];
        var random = new Random(options.Seed);
        var splittable = new List<int>();
        for (var f = 0; f < bins.FeatureCount; f++)
        {
            if (bins.BinCount(f) > 1)
            {
                splittable.Add(f);
            }
        }

        var trees = new List<RegressionTree>();
        var iterations = new List<IterationMetrics>();
        var watched = options.EvalAt.Count - 1;
        var bestIteration = 0;
        var bestValid = double.NegativeInfinity;
        IReadOnlyList<double>? pendingValid = null;
        for (var iteration = 1; iteration <= options.Trees; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Ranking the queries for the gradients also measures the previous round's training NDCG.
            var trainNdcg = objective.Compute(scores, gradients, hessians);
            if (iteration > 1)
            {
                Record(iterations, progress, new IterationMetrics(iteration - 1, trainNdcg, pendingValid));
            }

            var (inBag, outCount) = DrawBag(random, options.BaggingFraction, bag, outOfBag);
            var features = DrawFeatures(random, options.FeatureFraction, splittable);
            var grown = learner.Grow(gradients, hessians, bag.AsSpan(0, inBag), features);
            var tree = ToModelTree(grown, bins, options);
            trees.Add(tree);

            // In-bag rows already sit in their leaves; out-of-bag rows walk the tree on their bins.
            var rowIndex = learner.RowIndex;
            for (var leaf = 0; leaf < grown.LeafCount; leaf++)
            {
                var value = tree.LeafValue[leaf];
                var begin = grown.LeafBegin[leaf];
                for (var i = begin; i < begin + grown.LeafRowCount[leaf]; i++)
                {
                    scores[rowIndex[i]] += value;
                }
            }

            for (var i = 0; i < outCount; i++)
            {
                var row = outOfBag[i];
                scores[row] += tree.LeafValue[LeafOfBinnedRow(grown, bins, row)];
            }

            if (valid is null || validScores is null || validEval is null)
            {
                continue;
            }

            for (var r = 0; r < valid.Rows; r++)
            {
                validScores[r] += tree.LeafValue[LeafOfRow(tree, valid.Row(r))];
            }

            var validNdcg = validEval.Evaluate(validScores);
            pendingValid = validNdcg;
            if (validNdcg[watched] > bestValid)
            {
                bestValid = validNdcg[watched];
                bestIteration = iteration;
            }
            else if (options.EarlyStoppingRounds > 0 && iteration - bestIteration >= options.EarlyStoppingRounds)
            {
                break;
            }
        }

        Record(iterations, progress, new IterationMetrics(trees.Count, trainEval.Evaluate(scores), pendingValid));
        if (valid is null || options.EarlyStoppingRounds == 0)
        {
            bestIteration = trees.Count;
        }

        return new LambdaMartModel(trees.GetRange(0, bestIteration), train.FeatureCount, train.FeatureNames, options, iterations, bestIteration);
    }

    private static void Record(List<IterationMetrics> iterations, IProgress<IterationMetrics>? progress, IterationMetrics metrics)
    {
        iterations.Add(metrics);
        progress?.Report(metrics);
    }

    /// <summary>Bernoulli row sampling; both lists come out ascending.</summary>
    private static (int InBag, int OutOfBag) DrawBag(Random random, double fraction, int[] bag, int[] outOfBag)
    {
        int inCount = 0, outCount = 0;
        for (var r = 0; r < bag.Length; r++)
        {
            if (fraction >= 1 || random.NextDouble() < fraction)
            {
                bag[inCount++] = r;
            }
            else
            {
                outOfBag[outCount++] = r;
            }
        }

        return (inCount, outCount);
    }

    /// <summary>A sorted random subset of at least one splittable feature.</summary>
    private static int[] DrawFeatures(Random random, double fraction, List<int> splittable)
    {
        var all = splittable.ToArray();
        if (fraction >= 1 || all.Length <= 1)
        {
            return all;
        }

        var take = Math.Max(1, (int)Math.Round(fraction * all.Length));
        for (var i = 0; i < take; i++)
        {
            var j = random.Next(i, all.Length);
            (all[i], all[j]) = (all[j], all[i]);
        }

        var chosen = all[..take];
        Array.Sort(chosen);
        return chosen;
    }

    private static RegressionTree ToModelTree(GrownTree grown, FeatureBins bins, LambdaMartOptions options)
    {
        var internalCount = grown.LeafCount - 1;
        var feature = grown.SplitFeature[..internalCount];
        var threshold = new float[internalCount];
        for (var n = 0; n < internalCount; n++)
        {
            threshold[n] = bins.UpperBounds[feature[n]][grown.SplitBin[n]];
        }

        var leafValue = new double[grown.LeafCount];
        var leafHessian = grown.LeafHessian[..grown.LeafCount];
        for (var l = 0; l < grown.LeafCount; l++)
        {
            leafValue[l] = -grown.LeafGradient[l] / (grown.LeafHessian[l] + options.L2) * options.LearningRate;
        }

        var left = grown.Left[..internalCount];
        var right = grown.Right[..internalCount];
        return new RegressionTree(
            feature,
            threshold,
            left,
            right,
            grown.SplitGain[..internalCount],
            RegressionTree.ComputeNodeValues(left, right, leafValue, leafHessian),
            leafValue,
            leafHessian);
    }

    private static int LeafOfBinnedRow(GrownTree tree, FeatureBins bins, int row)
    {
        if (tree.LeafCount == 1)
        {
            return 0;
        }

        var node = 0;
        while (node >= 0)
        {
            node = bins.Columns[tree.SplitFeature[node]][row] <= tree.SplitBin[node] ? tree.Left[node] : tree.Right[node];
        }

        return ~node;
    }

    private static int LeafOfRow(RegressionTree tree, ReadOnlySpan<float> row)
    {
        if (tree.InternalCount == 0)
        {
            return 0;
        }

        var node = 0;
        while (node >= 0)
        {
            node = row[tree.SplitFeature[node]] > tree.Threshold[node] ? tree.Right[node] : tree.Left[node];
        }

        return ~node;
    }
}
