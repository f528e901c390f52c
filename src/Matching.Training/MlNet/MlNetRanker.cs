using System.Diagnostics;
using Matching.Engine.Learning;
using Matching.Engine.Ranking;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Matching.Training.MlNet;

/// <summary>An ML.NET ranking model: its own zip (kept in the registry) and its trees exported to the engine, which serves them.</summary>
/// <param name="Zip">The model as ML.NET saves it (<c>mlContext.Model.Save</c>).</param>
/// <param name="Trees">The trees exported to the engine's flat-array model.</param>
/// <param name="Library">Package and version that trained it.</param>
/// <param name="Reference">ML.NET's own scores on the probe rows, which the exported trees reproduced.</param>
/// <param name="FitTime">Time in ML.NET's <c>Fit</c> alone.</param>
public sealed record MlNetModel(byte[] Zip, LambdaMartModel Trees, string Library, ReferenceScores Reference, TimeSpan FitTime);

/// <summary>
/// Trains ML.NET's LightGBM or FastTree ranker on a ranking dataset and exports the ensemble to
/// the engine's <see cref="LambdaMartModel"/>. The export must reproduce ML.NET's own scores on
/// probe rows to <see cref="LearnedRankingModel.ReferenceTolerance"/>, or training fails.
/// </summary>
public static class MlNetRanker
{
    private const string FeaturesColumn = "Features", LabelColumn = "Label", GroupColumn = "GroupId", ScoreColumn = "Score", WeightColumn = "Weight";

    /// <summary>Trains and exports.</summary>
    /// <param name="fit">Training rows and queries (features as the trees will read them).</param>
    /// <param name="valid">Validation rows for LightGBM's early stopping, or null.</param>
    /// <param name="trainer">LightGBM or FastTree.</param>
    /// <param name="options">The trainers' settings.</param>
    /// <param name="probes">Rows as the model will be served (schema features), to compare ML.NET's scores and the export's.</param>
    /// <param name="served">How a served row becomes the trees' input (for example with the prior appended).</param>
    /// <exception cref="InvalidOperationException">The export does not reproduce ML.NET's scores.</exception>
    public static MlNetModel Train(RankingDataset fit, RankingDataset? valid, RankingTrainer trainer, MlNetRankingOptions options,
        IReadOnlyList<float[]> probes, Func<float[], float[]> served)
    {
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentNullException.ThrowIfNull(served);
        var ml = new MLContext(seed: options.Seed);
        var data = ToDataView(ml, fit);
        var watch = Stopwatch.StartNew();
        TreeEnsemble<RegressionTree> ensemble;
        ITransformer transformer;
        string library;
        switch (trainer)
        {
            case RankingTrainer.MlNetLightGbm:
            {
                var estimator = ml.Ranking.Trainers.LightGbm(LightGbmOptions(options, fit.Weights is not null));
                var model = valid is not null && valid.QueryCount > 0 && options.EarlyStoppingRounds > 0
                    ? estimator.Fit(data, ToDataView(ml, valid))
                    : estimator.Fit(data);
                ensemble = model.Model.TrainedTreeEnsemble;
                transformer = model;
                library = Library(typeof(LightGbmRankingTrainer));
                break;
            }

            case RankingTrainer.MlNetFastTree:
            {
                var model = ml.Ranking.Trainers.FastTree(FastTreeOptions(options, fit.Weights is not null)).Fit(data);
                ensemble = model.Model.TrainedTreeEnsemble;
                transformer = model;
                library = Library(typeof(FastTreeRankingTrainer));
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(trainer), trainer, "Not an ML.NET trainer.");
        }

        var fitTime = watch.Elapsed;
        var exported = Export(ensemble, fit, options);
        using var zip = new MemoryStream();
        ml.Model.Save(transformer, data.Schema, zip);
        var bytes = zip.ToArray();

        // The reference comes from the saved zip read back, so it is what the registry keeps.
        var inputs = probes.Select(served).ToList();
        var reference = Scores(ml, bytes, inputs, fit.FeatureCount);
        var mine = new double[1];
        for (var i = 0; i < inputs.Count; i++)
        {
            mine[0] = exported.Score(inputs[i]);
            if (!(Math.Abs(mine[0] - reference[i]) <= LearnedRankingModel.ReferenceTolerance))
            {
                throw new InvalidOperationException($"The exported {RankingTrainers.Name(trainer)} trees score probe row {i} {mine[0]:R}; ML.NET scores it {reference[i]:R}.");
            }
        }

        return new MlNetModel(bytes, exported, library, new ReferenceScores([.. probes.Select(p => (float[])p.Clone())], reference), fitTime);
    }

    /// <summary>ML.NET's scores of rows through a saved model.</summary>
    public static double[] Scores(byte[] zip, IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(zip);
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Count == 0 ? [] : Scores(new MLContext(seed: 0), zip, rows, rows[0].Length);
    }

    private static double[] Scores(MLContext ml, byte[] zip, IReadOnlyList<float[]> rows, int featureCount)
    {
        using var stream = new MemoryStream(zip);
        var model = ml.Model.Load(stream, out _);
        var schema = SchemaDefinition.Create(typeof(ProbeRow));
        schema[nameof(ProbeRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        var view = ml.Data.LoadFromEnumerable(rows.Select(r => new ProbeRow { Features = r }), schema);
        return [.. model.Transform(view).GetColumn<float>(ScoreColumn).Select(s => (double)s)];
    }

    /// <summary>
    /// The ensemble as the engine's model. ML.NET sends a row left when value ≤ threshold, and so
    /// does the engine (right only when value &gt; threshold), on the same float threshold: the
    /// thresholds are copied bit for bit. Tree weights are folded into the leaf values, ML.NET's
    /// bias into the first tree's leaves, and the fit rows reaching each leaf become its cover,
    /// which weights the node values of the exact per-tree contributions.
    /// </summary>
    internal static LambdaMartModel Export(TreeEnsemble<RegressionTree> ensemble, RankingDataset coverRows, MlNetRankingOptions options)
    {
        var trees = new List<ImportedTree>(ensemble.Trees.Count);
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            var weight = ensemble.TreeWeights[t];
            var n = tree.NumberOfNodes;
            if (tree.CategoricalSplitFlags.Any(f => f))
            {
                throw new InvalidOperationException($"Tree {t} has a categorical split; the engine serves numerical splits only.");
            }

            var leafValues = tree.LeafValues.Select(v => v * weight + (t == 0 ? ensemble.Bias : 0)).ToArray();
            var gains = tree.SplitGains.Count == n ? tree.SplitGains.ToArray() : new double[n];
            var imported = new ImportedTree([.. tree.NumericalSplitFeatureIndexes], [.. tree.NumericalSplitThresholds], [.. tree.LeftChild], [.. tree.RightChild],
                gains, leafValues, new double[leafValues.Length]);
            trees.Add(imported with { LeafCover = LambdaMartModel.CountRowsPerLeaf(imported, coverRows.Features, coverRows.FeatureCount) });
        }

        if (trees.Count == 0)
        {
            // A model that learned nothing still scores: one leaf holding ML.NET's bias.
            trees.Add(new ImportedTree([], [], [], [], [], [ensemble.Bias], [coverRows.Rows]));
        }

        var recorded = new LambdaMartOptions
        {
            Trees = trees.Count,
            Leaves = Math.Max(2, options.Leaves),
            LearningRate = options.LearningRate,
            MinLeafRows = options.MinLeafRows,
            L2 = options.L2,
            BaggingFraction = options.BaggingFraction,
            FeatureFraction = options.FeatureFraction,
            MaxBins = options.MaxBins,
            Seed = options.Seed,
            Threads = options.Threads,
            LabelGains = [.. options.Gains.Select(g => (double)g)],
        };
        return LambdaMartModel.FromImportedTrees(trees, coverRows.FeatureNames, recorded);
    }

    private static LightGbmRankingTrainer.Options LightGbmOptions(MlNetRankingOptions o, bool weighted) => new()
    {
        LabelColumnName = LabelColumn,
        ExampleWeightColumnName = weighted ? WeightColumn : null,
        FeatureColumnName = FeaturesColumn,
        RowGroupColumnName = GroupColumn,
        NumberOfIterations = o.Trees,
        NumberOfLeaves = o.Leaves,
        LearningRate = o.LearningRate,
        MinimumExampleCountPerLeaf = o.MinLeafRows,
        MaximumBinCountPerFeature = o.MaxBins,
        CustomGains = [.. o.Gains],
        NumberOfThreads = o.Threads,
        Seed = o.Seed,
        Deterministic = true,
        EarlyStoppingRound = o.EarlyStoppingRounds,
        Silent = true,
        Verbose = false,
        Booster = new GradientBooster.Options
        {
            L2Regularization = o.L2,
            SubsampleFraction = o.BaggingFraction,
            SubsampleFrequency = o.BaggingFraction < 1 ? 1 : 0,
            FeatureFraction = o.FeatureFraction,
        },
    };

    private static FastTreeRankingTrainer.Options FastTreeOptions(MlNetRankingOptions o, bool weighted) => new()
    {
        LabelColumnName = LabelColumn,
        ExampleWeightColumnName = weighted ? WeightColumn : null,
        FeatureColumnName = FeaturesColumn,
        RowGroupColumnName = GroupColumn,
        NumberOfTrees = o.Trees,
        NumberOfLeaves = o.Leaves,
        LearningRate = o.LearningRate,
        MinimumExampleCountPerLeaf = o.MinLeafRows,
        MaximumBinCountPerFeature = o.MaxBins,
        CustomGains = [.. o.Gains.Select(g => (double)g)],
        NumberOfThreads = o.Threads,
        Seed = o.Seed,
        FeatureFraction = o.FeatureFraction,
        BaggingSize = o.BaggingFraction < 1 ? 1 : 0,
        BaggingExampleFraction = o.BaggingFraction,
    };

    private static IDataView ToDataView(MLContext ml, RankingDataset data)
    {
        var n = data.FeatureCount;
        var rows = new TrainingRow[data.Rows];
        for (var q = 0; q < data.QueryCount; q++)
        {
            for (var r = data.QueryBoundaries[q]; r < data.QueryBoundaries[q + 1]; r++)
            {
                rows[r] = new TrainingRow { Label = data.Labels[r], GroupId = (uint)q + 1, Features = data.Features.AsSpan(r * n, n).ToArray(), Weight = data.Weights?[r] ?? 1 };
            }
        }

        var schema = SchemaDefinition.Create(typeof(TrainingRow));
        schema[nameof(TrainingRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, n);
        schema[nameof(TrainingRow.GroupId)].ColumnType = new KeyDataViewType(typeof(uint), (ulong)data.QueryCount + 1);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private static string Library(Type trainer)
    {
        var assembly = trainer.Assembly.GetName();
        var informational = trainer.Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        var version = informational?.Split('+')[0] ?? assembly.Version?.ToString(3);
        return $"{assembly.Name} {version}";
    }

    private sealed class TrainingRow
    {
        public float Label { get; set; }

        public uint GroupId { get; set; }

        public float[] Features { get; set; } = [];

        public float Weight { get; set; } = 1;
    }

    private sealed class ProbeRow
    {
        public float[] Features { get; set; } = [];
    }
}
