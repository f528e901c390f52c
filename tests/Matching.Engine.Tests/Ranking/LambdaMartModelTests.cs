using System.Text;
using System.Text.Json.Nodes;
using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

public class LambdaMartModelTests
{
    private static readonly Lazy<(LambdaMartModel Model, RankingDataset Data)> Trained = new(() =>
    {
        var data = RankingTestData.Planted(queries: 40, docsPerQuery: 20, seed: 1);
        var model = LambdaMartTrainer.Train(data, null, new LambdaMartOptions { Trees = 25, Leaves = 8, MinLeafRows = 5, MinLeafHessian = 0.5 });
        return (model, data);
    });

    private static LambdaMartModel Model => Trained.Value.Model;

    private static RankingDataset Data => Trained.Value.Data;

    [Test]
    public void Batch_scores_equal_single_row_scores_exactly()
    {
        var batch = RankingTestData.Scores(Model, Data);

        for (var r = 0; r < Data.Rows; r++)
        {
            Assert.That(Model.Score(Data.Row(r)), Is.EqualTo(batch[r]));
        }
    }

    [Test]
    public void Missing_values_go_left()
    {
        // NaN compares false with any threshold, like a value at or below every threshold.
        var nan = Enumerable.Repeat(float.NaN, RankingTestData.Features).ToArray();
        var lowest = Enumerable.Repeat(float.MinValue, RankingTestData.Features).ToArray();

        Assert.That(Model.Score(nan), Is.EqualTo(Model.Score(lowest)));
    }

    [Test]
    public void Wrong_lengths_are_rejected()
    {
        Assert.That(() => Model.Score(new float[RankingTestData.Features + 1]), Throws.ArgumentException);
        Assert.That(() => Model.Score(new float[RankingTestData.Features * 2], 2, new double[3]), Throws.ArgumentException);
        Assert.That(() => Model.Contributions(new float[RankingTestData.Features], new double[RankingTestData.Features]), Throws.ArgumentException);
    }

    [Test]
    public void Contributions_and_bias_sum_to_the_score()
    {
        var contributions = new double[RankingTestData.Features + 1];
        for (var r = 0; r < 50; r++)
        {
            Model.Contributions(Data.Row(r), contributions);

            Assert.That(contributions.Sum(), Is.EqualTo(Model.Score(Data.Row(r))).Within(1e-9));
        }
    }

    [Test]
    public void Contributions_credit_the_planted_feature()
    {
        var total = new double[RankingTestData.Features + 1];
        var contributions = new double[RankingTestData.Features + 1];
        for (var r = 0; r < Data.Rows; r++)
        {
            Model.Contributions(Data.Row(r), contributions);
            for (var f = 0; f < contributions.Length; f++)
            {
                total[f] += Math.Abs(contributions[f]);
            }
        }

        Assert.That(total[0], Is.GreaterThan(total[1] + total[2] + total[4]), "x0 moves scores more than all noise features together");
    }

    [Test]
    public void Save_then_load_gives_identical_scores_and_metadata()
    {
        using var stream = new MemoryStream();
        Model.Save(stream);
        stream.Position = 0;

        var loaded = LambdaMartModel.Load(stream);

        Assert.That(RankingTestData.Scores(loaded, Data), Is.EqualTo(RankingTestData.Scores(Model, Data)));
        Assert.That(loaded.FeatureNames, Is.EqualTo(Model.FeatureNames));
        Assert.That(loaded.Options.Trees, Is.EqualTo(Model.Options.Trees));
        Assert.That(loaded.Options.EvalAt, Is.EqualTo(Model.Options.EvalAt));
        Assert.That(loaded.Iterations, Has.Count.EqualTo(Model.Iterations.Count));
        Assert.That(loaded.Iterations[^1].TrainNdcg, Is.EqualTo(Model.Iterations[^1].TrainNdcg));
        Assert.That(loaded.FeatureImportance, Is.EqualTo(Model.FeatureImportance));
        Assert.That(Save(loaded), Is.EqualTo(Save(Model)), "a loaded model saves to the same bytes");
    }

    [Test]
    public void Save_and_load_through_a_file_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lambdamart-{Guid.NewGuid():N}.json");
        try
        {
            Model.Save(path);

            Assert.That(LambdaMartModel.Load(path).Score(Data.Row(0)), Is.EqualTo(Model.Score(Data.Row(0))));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Truncated_file_is_rejected()
    {
        var bytes = Save(Model);

        Assert.That(() => Load(bytes[..(bytes.Length / 2)]),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("truncated or corrupt"));
        Assert.That(() => Load([]), Throws.InstanceOf<InvalidDataException>());
    }

    [Test]
    public void Not_json_is_rejected()
    {
        Assert.That(() => Load(Encoding.UTF8.GetBytes("label 1:0.5\n")), Throws.InstanceOf<InvalidDataException>());
    }

    [TestCase("formatVersion", "2", "version 2")]
    [TestCase("format", "\"something.else\"", "Not a model file")]
    [TestCase("featureCount", "3", "feature names")]
    public void Wrong_header_is_rejected(string field, string json, string message)
    {
        Assert.That(() => Load(Edit(document => document[field] = JsonNode.Parse(json))),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains(message));
    }

    [Test]
    public void Missing_trees_are_rejected()
    {
        Assert.That(() => Load(Edit(document => document.Remove("trees"))),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("'trees'"));
    }

    [Test]
    public void Child_index_out_of_range_is_rejected()
    {
        Assert.That(() => Load(Edit(document => document["trees"]![0]!["left"]![0] = 1000)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("Tree 0").And.Message.Contains("child node 1000"));
    }

    [Test]
    public void Cycle_is_rejected()
    {
        Assert.That(() => Load(Edit(document => document["trees"]![1]!["right"]![0] = 0)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("Tree 1"));
    }

    [Test]
    public void Split_on_unknown_feature_is_rejected()
    {
        Assert.That(() => Load(Edit(document => document["trees"]![0]!["splitFeature"]![0] = RankingTestData.Features)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("feature 5"));
    }

    [Test]
    public void Mismatched_array_lengths_are_rejected()
    {
        Assert.That(() => Load(Edit(document => document["trees"]![0]!["leafValue"]!.AsArray().RemoveAt(0))),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("leaves"));
    }

    [Test]
    public void Invalid_options_are_rejected()
    {
        Assert.That(() => Load(Edit(document => document["options"]!["maxBins"] = 1000)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("MaxBins"));
    }

    private static byte[] Save(LambdaMartModel model)
    {
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    private static LambdaMartModel Load(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        return LambdaMartModel.Load(stream);
    }

    private static byte[] Edit(Action<JsonObject> edit)
    {
        var document = JsonNode.Parse(Save(Model))!.AsObject();
        edit(document);
        return Encoding.UTF8.GetBytes(document.ToJsonString());
    }
}
