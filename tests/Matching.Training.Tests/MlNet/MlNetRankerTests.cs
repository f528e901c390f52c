using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;
using Matching.Engine.Simulation;
using Matching.Training.MlNet;

namespace Matching.Training.Tests.MlNet;

/// <summary>
/// ML.NET's trainers on a small simulated history (a few seconds): the trees exported to the
/// engine must score every row as ML.NET's own saved model does, including rows that sit exactly
/// on a split threshold and one float above it.
/// </summary>
public class MlNetRankerTests
{
    private IReadOnlyList<LabeledPair> _pairs = null!;

    [OneTimeSetUp]
    public async Task ReadASimulatedHistory()
    {
        var folder = Path.Combine(Path.GetTempPath(), "matching-training-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            await using var db = await HistoryDatabase.CreateAsync(Path.Combine(folder, "history.db"), new ManualClock(),
                Simulator.Run(new SimulationOptions { Therapists = 40, Clients = 2500, Seed = 8 }));
            _pairs = (await db.Feedback.LabeledPairsAsync(ManualClock.Start)).Where(p => AllianceLabel.Grade(p) is not null).ToList();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static RankingDataset Dataset(IReadOnlyList<LabeledPair> pairs) => TrainingSet.Build(pairs, GroupingPolicy.Cohort);

    private static readonly MlNetRankingOptions Small = new() { Trees = 40, EarlyStoppingRounds = 0 };

    [TestCase(RankingTrainer.MlNetLightGbm)]
    [TestCase(RankingTrainer.MlNetFastTree)]
    public void The_exported_trees_score_every_row_as_the_saved_MlNet_model_does(RankingTrainer trainer)
    {
        var data = Dataset(_pairs);
        var trained = MlNetRanker.Train(data, null, trainer, Small, TrainingPipeline.ProbeRows(), r => r);

        var rows = new List<float[]>();
        for (var r = 0; r < data.Rows; r += 7)
        {
            rows.Add(data.Row(r).ToArray());
        }

        // For every split, a row exactly on its threshold (ML.NET goes left) and one float above (right).
        var onThresholds = ThresholdRows(trained, data.Row(0).ToArray());
        rows.AddRange(onThresholds);

        var theirs = MlNetRanker.Scores(trained.Zip, rows);
        var worst = rows.Select((row, i) => Math.Abs(trained.Trees.Score(row) - theirs[i])).Max();
        Assert.Multiple(() =>
        {
            Assert.That(trained.Trees.TreeCount, Is.EqualTo(40));
            Assert.That(onThresholds, Has.Count.GreaterThan(40));
            Assert.That(worst, Is.LessThanOrEqualTo(LearnedRankingModel.ReferenceTolerance));
            Assert.That(trained.Reference.Scores, Has.Count.EqualTo(TrainingPipeline.ProbeRows().Count));
            Assert.That(trained.Library, Does.StartWith(trainer == RankingTrainer.MlNetLightGbm ? "Microsoft.ML.LightGbm 5." : "Microsoft.ML.FastTree 5."));
        });
    }

    [TestCase(RankingTrainer.MlNetLightGbm)]
    [TestCase(RankingTrainer.MlNetFastTree)]
    public void With_inverse_propensity_weights_the_exported_trees_still_score_as_MlNet_does_and_the_weights_change_the_model(RankingTrainer trainer)
    {
        var weighted = TrainingSet.Build(_pairs, GroupingPolicy.Cohort, propensityClip: 10);
        var plain = Dataset(_pairs);
        Assert.That(weighted.Weights!.Distinct().Count(), Is.GreaterThan(1), "the simulated history logs varied propensities");

        var trained = MlNetRanker.Train(weighted, null, trainer, Small, TrainingPipeline.ProbeRows(), r => r);
        var unweighted = MlNetRanker.Train(plain, null, trainer, Small, TrainingPipeline.ProbeRows(), r => r);

        var rows = Enumerable.Range(0, weighted.Rows).Where(r => r % 5 == 0).Select(r => weighted.Row(r).ToArray()).ToList();
        var theirs = MlNetRanker.Scores(trained.Zip, rows);
        var worst = rows.Select((row, i) => Math.Abs(trained.Trees.Score(row) - theirs[i])).Max();
        Assert.That(worst, Is.LessThanOrEqualTo(LearnedRankingModel.ReferenceTolerance));
        Assert.That(rows.Select(r => trained.Trees.Score(r)), Is.Not.EqualTo(rows.Select(r => unweighted.Trees.Score(r))));
    }

    [Test]
    public void A_threshold_moved_by_one_float_is_caught_by_the_threshold_rows()
    {
        // The parity check above is only worth something if it sees an off-by-one-float threshold.
        var data = Dataset(_pairs);
        var trained = MlNetRanker.Train(data, null, RankingTrainer.MlNetLightGbm, Small, TrainingPipeline.ProbeRows(), r => r);
        var saved = new MemoryStream();
        trained.Trees.Save(saved);
        var json = System.Text.Json.Nodes.JsonNode.Parse(saved.ToArray())!;
        var first = json["trees"]![0]!["threshold"]!.AsArray();
        var threshold = first[0]!.GetValue<float>();
        first[0] = MathF.BitDecrement(threshold);
        var shifted = LambdaMartModel.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString())));

        var rows = ThresholdRows(trained, data.Row(0).ToArray());
        var theirs = MlNetRanker.Scores(trained.Zip, rows);
        var worst = rows.Select((row, i) => Math.Abs(shifted.Score(row) - theirs[i])).Max();
        Assert.That(worst, Is.GreaterThan(LearnedRankingModel.ReferenceTolerance));
    }

    [Test]
    public void With_the_prior_as_a_column_the_served_model_reproduces_MlNet_and_its_contributions_add_up()
    {
        var pairs = _pairs;
        var settings = new TrainingSettings { MlNet = Small, MlNetPrior = MlNetPrior.Feature };
        var trained = TrainingPipeline.Train(pairs, settings, RankingTrainer.MlNetLightGbm, "mlnet-lightgbm-test");

        var loaded = LearnedRankingModel.LoadValidated(trained.Model.ToArtifact(), "mlnet-lightgbm-test");
        var data = Dataset(pairs);
        var served = Enumerable.Range(0, 50).Select(i => data.Row(i * 11).ToArray()).ToList();
        var theirs = MlNetRanker.Scores(trained.SourceModel!, served.Select(r => LearnedRankingModel.AppendPrior(r, 1)).ToList());
        var scores = new double[1];
        var contributions = new double[PairFeatures.Count];
        var bias = new double[loaded.Model.FeatureCount + 1];
        for (var i = 0; i < served.Count; i++)
        {
            loaded.Score(served[i], 1, scores);
            loaded.Contributions(served[i], contributions);
            loaded.Model.Contributions(LearnedRankingModel.AppendPrior(served[i], 1), bias);
            Assert.That(scores[0], Is.EqualTo(theirs[i]).Within(LearnedRankingModel.ReferenceTolerance), $"row {i}");
            Assert.That(contributions.Sum() + bias[^1], Is.EqualTo(scores[0]).Within(1e-9), $"row {i}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(loaded.PriorFeature, Is.True);
            Assert.That(loaded.Provenance.Trainer, Is.EqualTo("mlnet-lightgbm"));
            Assert.That(loaded.Provenance.Library, Does.StartWith("Microsoft.ML.LightGbm 5."));
            Assert.That(loaded.Model.FeatureNames[^1], Is.EqualTo(LearnedRankingModel.PriorFeatureName));
            Assert.That(trained.Trainer, Is.EqualTo(RankingTrainer.MlNetLightGbm));
        });
    }

    [Test]
    public void An_exported_model_whose_reference_scores_it_does_not_reproduce_is_not_served()
    {
        var settings = new TrainingSettings { MlNet = Small };
        var trained = TrainingPipeline.Train(_pairs, settings, RankingTrainer.MlNetLightGbm, "mlnet-lightgbm-test");
        var json = System.Text.Json.Nodes.JsonNode.Parse(trained.Model.ToArtifact())!;
        var scores = json["reference"]!["scores"]!.AsArray();
        scores[5] = scores[5]!.GetValue<double>() + 2e-5;

        Assert.That(() => LearnedRankingModel.LoadValidated(json.ToJsonString(), "mlnet-lightgbm-test"),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("does not reproduce").And.Message.Contains("probe row 5"));
    }

    private static List<float[]> ThresholdRows(MlNetModel trained, float[] baseRow)
    {
        var saved = new MemoryStream();
        trained.Trees.Save(saved);
        var json = System.Text.Json.Nodes.JsonNode.Parse(saved.ToArray())!;
        var rows = new List<float[]>();
        foreach (var tree in json["trees"]!.AsArray())
        {
            var features = tree!["splitFeature"]!.AsArray().Select(f => f!.GetValue<int>()).ToList();
            var thresholds = tree["threshold"]!.AsArray().Select(t => t!.GetValue<float>()).ToList();
            for (var i = 0; i < features.Count; i++)
            {
                foreach (var value in new[] { thresholds[i], MathF.BitIncrement(thresholds[i]) })
                {
                    var row = (float[])baseRow.Clone();
                    row[features[i]] = value;
                    rows.Add(row);
                }
            }
        }

        return rows;
    }
}
