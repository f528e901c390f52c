using System.Text.Json.Nodes;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Learning;

[TestFixture]
public sealed class LearnedRankingModelTests
{
    private static readonly FeatureGroup[] Groups = Enum.GetValues<FeatureGroup>();

    // The planted problem with more trees than the early exit's first block, so ScoreCandidates prunes.
    private static readonly Lazy<LambdaMartModel> Deep = new(() => LambdaMartTrainer.Train(Planted.Train, null, Planted.Options with { Trees = 40, LearningRate = 0.1 }));

    [Test]
    public void A_registry_artifact_validates_only_under_the_version_it_names_itself()
    {
        var artifact = Planted.Learned.ToArtifact();

        Assert.That(LearnedRankingModel.LoadValidated(artifact, Planted.Learned.Version).Version, Is.EqualTo(Planted.Learned.Version));
        var error = Assert.Throws<InvalidDataException>(() => LearnedRankingModel.LoadValidated(artifact, "lambdamart-other"));
        Assert.That(error!.Message, Does.Contain("stored as lambdamart-other").And.Contain(Planted.Learned.Version));
    }

    [Test]
    public void The_planted_feature_is_what_the_model_learned()
    {
        var importance = Planted.Model.FeatureImportance.ToArray();
        var scores = Scores(Planted.Learned, Planted.Holdout);

        Assert.That(Array.IndexOf(importance, importance.Max()), Is.EqualTo(Planted.Feature));
        Assert.That(Ndcg.Mean(Planted.Holdout, scores, 5), Is.GreaterThan(0.9));
    }

    [Test]
    public void The_wrapper_serves_the_current_schema_and_the_models_scores()
    {
        var learned = Planted.Learned;
        var expected = new double[Planted.Holdout.Rows];
        Planted.Model.Score(Planted.Holdout.Features, Planted.Holdout.Rows, expected);

        Assert.That(learned.Version, Is.EqualTo("planted/1"));
        Assert.That(learned.FeatureSchemaVersion, Is.EqualTo(PairFeatures.SchemaVersion));
        Assert.That(learned.Model, Is.SameAs(Planted.Model));
        Assert.That(Scores(learned, Planted.Holdout), Is.EqualTo(expected));
    }

    [Test]
    public void Contributions_per_feature_and_the_bias_add_up_to_the_score()
    {
        var learned = Planted.Learned;
        var contributions = new double[PairFeatures.Count];
        var withBias = new double[PairFeatures.Count + 1];
        for (var r = 0; r < Planted.Holdout.Rows; r++)
        {
            var row = Planted.Holdout.Row(r);
            learned.Contributions(row, contributions);
            Planted.Model.Contributions(row, withBias);
            var bias = withBias[PairFeatures.Count];

            Assert.That(contributions, Is.EqualTo(withBias[..PairFeatures.Count]), $"row {r}");
            Assert.That(contributions.Sum() + bias, Is.EqualTo(Planted.Model.Score(row)).Within(1e-9), $"row {r}");
        }
    }

    [Test]
    public void The_planted_feature_contributes_most()
    {
        var contributions = new double[PairFeatures.Count];
        var total = new double[PairFeatures.Count];
        for (var r = 0; r < Planted.Holdout.Rows; r++)
        {
            Planted.Learned.Contributions(Planted.Holdout.Row(r), contributions);
            for (var f = 0; f < total.Length; f++)
            {
                total[f] += Math.Abs(contributions[f]);
            }
        }

        Assert.That(Array.IndexOf(total, total.Max()), Is.EqualTo(Planted.Feature));
    }

    [Test]
    public void Every_contribution_scale_is_positive([ValueSource(nameof(Groups))] FeatureGroup group)
    {
        Assert.That(Planted.Learned.ContributionScale(group), Is.Positive);
        Assert.That(Planted.Learned.ContributionScales[group], Is.EqualTo(Planted.Learned.ContributionScale(group)));
    }

    [Test]
    public void The_planted_features_group_has_the_largest_scale()
    {
        var scales = Planted.Learned.ContributionScales;
        var group = PairFeatures.Schema[Planted.Feature].Group;

        Assert.That(scales[group], Is.EqualTo(scales.Values.Max()));
        Assert.That(scales[group], Is.GreaterThan(0.01));
    }

    [Test]
    public void A_measured_scale_is_the_90th_percentile_of_the_groups_absolute_contribution()
    {
        var group = PairFeatures.Schema[Planted.Feature].Group;
        var scale = LearnedRankingModel.MeasureScales(Planted.Unscaled, Planted.Train)[group];
        var sums = new List<double>();
        var contributions = new double[PairFeatures.Count + 1];
        for (var r = 0; r < Planted.Train.Rows; r++)
        {
            Planted.Model.Contributions(Planted.Train.Row(r), contributions);
            sums.Add(Math.Abs(Enumerable.Range(0, PairFeatures.Count).Where(f => PairFeatures.Schema[f].Group == group).Sum(f => contributions[f])));
        }

        // Element floor(0.9 (n - 1)) of the sorted sums: no more than that many lie below it, and it is one of them.
        var index = (int)(0.9 * (sums.Count - 1));
        Assert.That(sums.Count(s => s < scale), Is.LessThanOrEqualTo(index));
        Assert.That(sums.Count(s => s <= scale), Is.GreaterThan(index));
        Assert.That(sums, Has.Member(scale));
    }

    [TestCase(0.0)]
    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void A_scale_that_is_not_positive_and_finite_becomes_a_tiny_positive_one(double given)
    {
        var scales = Groups.ToDictionary(g => g, _ => 0.5);
        scales[FeatureGroup.Bond] = given;

        var learned = new LearnedRankingModel("v", Planted.Model, scales);

        Assert.That(learned.ContributionScale(FeatureGroup.Bond), Is.EqualTo(1e-6));
        Assert.That(learned.ContributionScale(FeatureGroup.Goals), Is.EqualTo(0.5));
    }

    [Test]
    public void A_missing_scale_becomes_a_tiny_positive_one()
    {
        var learned = new LearnedRankingModel("v", Planted.Model, new Dictionary<FeatureGroup, double> { [FeatureGroup.Goals] = 0.25 });

        Assert.That(learned.ContributionScale(FeatureGroup.Goals), Is.EqualTo(0.25));
        Assert.That(learned.ContributionScale(FeatureGroup.Logistics), Is.EqualTo(1e-6));
    }

    [Test]
    public void A_model_trained_on_other_feature_names_is_refused()
    {
        var names = PairFeatures.Schema.Select(f => f.Name).ToList();
        names[0] = "goal_primary";
        var other = LambdaMartTrainer.Train(Planted.Dataset(5, seed: 3, names), null, Planted.Options with { Trees = 1 });

        Assert.That(
            () => new LearnedRankingModel("v", other, Planted.Learned.ContributionScales),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("goal_primary").And.Message.Contains(PairFeatures.SchemaVersion));
    }

    [Test]
    public void A_model_with_another_feature_count_is_refused()
    {
        var data = Planted.Train;
        var fewer = new RankingDataset(
            Enumerable.Range(0, data.Rows).SelectMany(r => data.Row(r)[..15].ToArray()).ToArray(),
            data.Rows,
            15,
            data.Labels,
            data.QueryBoundaries,
            PairFeatures.Schema.Take(15).Select(f => f.Name).ToList());
        var other = LambdaMartTrainer.Train(fewer, null, Planted.Options with { Trees = 1 });

        Assert.That(() => new LearnedRankingModel("v", other, Planted.Learned.ContributionScales), Throws.TypeOf<InvalidDataException>());
    }

    [Test]
    public void The_artifact_round_trips_scores_contributions_and_scales_exactly()
    {
        var original = Planted.Learned;

        var loaded = LearnedRankingModel.FromArtifact(original.ToArtifact());

        Assert.That(loaded.Version, Is.EqualTo(original.Version));
        Assert.That(loaded.FeatureSchemaVersion, Is.EqualTo(original.FeatureSchemaVersion));
        Assert.That(loaded.ContributionScales, Is.EqualTo(original.ContributionScales));
        Assert.That(Scores(loaded, Planted.Holdout), Is.EqualTo(Scores(original, Planted.Holdout)));
        var expected = new double[PairFeatures.Count];
        var actual = new double[PairFeatures.Count];
        for (var r = 0; r < Planted.Holdout.Rows; r++)
        {
            original.Contributions(Planted.Holdout.Row(r), expected);
            loaded.Contributions(Planted.Holdout.Row(r), actual);
            Assert.That(actual, Is.EqualTo(expected), $"row {r}");
        }

        Assert.That(loaded.ToArtifact(), Is.EqualTo(original.ToArtifact()));
    }

    [Test]
    public void Save_and_Load_round_trip_through_a_stream()
    {
        using var stream = new MemoryStream();
        Planted.Learned.Save(stream);
        stream.Position = 0;

        var loaded = LearnedRankingModel.Load(stream);

        Assert.That(loaded.ToArtifact(), Is.EqualTo(Planted.Learned.ToArtifact()));
        Assert.That(Scores(loaded, Planted.Holdout), Is.EqualTo(Scores(Planted.Learned, Planted.Holdout)));
    }

    [Test]
    public void The_artifact_names_its_format_version_and_schema()
    {
        var artifact = JsonNode.Parse(Planted.Learned.ToArtifact())!;

        Assert.That((string?)artifact["format"], Is.EqualTo(LearnedRankingModel.ArtifactFormat));
        Assert.That((int?)artifact["formatVersion"], Is.EqualTo(LearnedRankingModel.ArtifactVersion));
        Assert.That((string?)artifact["featureSchema"], Is.EqualTo(PairFeatures.SchemaVersion));
        Assert.That((string?)artifact["version"], Is.EqualTo("planted/1"));
    }

    [TestCase("truncated", "not valid JSON")]
    [TestCase("not JSON", "not valid JSON")]
    [TestCase("empty", "not valid JSON")]
    [TestCase("JSON null", "Not a matching.ranker artifact")]
    [TestCase("JSON array", "Not a matching.ranker artifact")]
    [TestCase("a bare model", "Not a matching.ranker artifact")]
    [TestCase("wrong format name", "Not a matching.ranker artifact")]
    [TestCase("format as number", "Not a matching.ranker artifact")]
    [TestCase("format named twice", "not valid JSON")]
    [TestCase("no format version", "format version")]
    [TestCase("format version 2", "format version 2 is not supported")]
    [TestCase("format version as string", "format version")]
    [TestCase("format version as fraction", "format version")]
    [TestCase("wrong feature schema", "feature schema pair-features/0")]
    [TestCase("no feature schema", "feature schema")]
    [TestCase("no version", "no version")]
    [TestCase("version as number", "version")]
    [TestCase("no scales", "no contribution scale for Goals")]
    [TestCase("one scale missing", "no contribution scale for Bond")]
    [TestCase("scale as string", "contribution scale for Bond")]
    [TestCase("scales as array", "contribution scale")]
    [TestCase("no model", "no model")]
    [TestCase("model as string", "no model")]
    [TestCase("model with other feature names", "goal_primary")]
    [TestCase("model without trees", "trees")]
    [TestCase("model of another format version", "Unsupported model format version 9")]
    public void A_damaged_or_incompatible_artifact_is_refused_saying_why(string damage, string reason)
    {
        var artifact = Damage(Planted.Learned.ToArtifact(), damage);

        Assert.That(() => LearnedRankingModel.FromArtifact(artifact), Throws.TypeOf<InvalidDataException>().With.Message.Contains(reason));
    }

    [Test]
    public void An_artifact_cut_anywhere_is_refused()
    {
        var artifact = Planted.Learned.ToArtifact();

        foreach (var length in new[] { 1, 10, artifact.Length / 3, artifact.Length / 2, artifact.Length - 2, artifact.Length - 1 })
        {
            Assert.That(() => LearnedRankingModel.FromArtifact(artifact[..length]), Throws.TypeOf<InvalidDataException>(), $"cut at {length}");
        }
    }

    private static string Damage(string artifact, string damage)
    {
        JsonObject Parsed() => JsonNode.Parse(artifact)!.AsObject();
        string With(Action<JsonObject> change)
        {
            var o = Parsed();
            change(o);
            return o.ToJsonString();
        }

        return damage switch
        {
            "truncated" => artifact[..(artifact.Length / 2)],
            "not JSON" => "matching.ranker v1",
            "empty" => "",
            "JSON null" => "null",
            "JSON array" => "[]",
            "a bare model" => Parsed()["model"]!.ToJsonString(),
            "wrong format name" => With(o => o["format"] = "matching.lambdamart"),
            "format named twice" => "{\"format\":\"other\"," + artifact[1..],
            "format as number" => With(o => o["format"] = 1),
            "no format version" => With(o => o.Remove("formatVersion")),
            "format version 2" => With(o => o["formatVersion"] = 2),
            "format version as string" => With(o => o["formatVersion"] = "1"),
            "format version as fraction" => With(o => o["formatVersion"] = 1.5),
            "wrong feature schema" => With(o => o["featureSchema"] = "pair-features/0"),
            "no feature schema" => With(o => o.Remove("featureSchema")),
            "no version" => With(o => o.Remove("version")),
            "version as number" => With(o => o["version"] = 3),
            "no scales" => With(o => o.Remove("contributionScales")),
            "one scale missing" => With(o => o["contributionScales"]!.AsObject().Remove("Bond")),
            "scale as string" => With(o => o["contributionScales"]!["Bond"] = "wide"),
            "scales as array" => With(o => o["contributionScales"] = new JsonArray(1, 2, 3, 4, 5)),
            "no model" => With(o => o.Remove("model")),
            "model as string" => With(o => o["model"] = "trees"),
            "model with other feature names" => With(o => o["model"]!["featureNames"]![0] = "goal_primary"),
            "model without trees" => With(o => o["model"]!.AsObject().Remove("trees")),
            "model of another format version" => With(o => o["model"]!["formatVersion"] = 9),
            _ => throw new ArgumentOutOfRangeException(nameof(damage), damage, null),
        };
    }

    [Test]
    public void ScoreCandidates_keeps_exactly_the_top_rows_with_ties_and_Scores_bits(
        [Values(0.0, 2.0)] double baselineWeight,
        [Range(1, 6)] int seed,
        [Values(1, 10, 37, 999, 1000, 1001)] int keep,
        [Values] bool bitvectors)
    {
        if (bitvectors)
        {
            Assume.That(LambdaMartModel.BitvectorHardware, Is.True, "no AVX-512 here: the traversal is the only kernel");
        }

        // Duplicate rows tie, so some cuts fall inside a run of equal scores.
        var learned = new LearnedRankingModel("deep/1", Deep.Value, Planted.Learned.ContributionScales, baselineWeight);
        IRankingModel model = learned;
        var data = Planted.Dataset(queries: 100, seed: 10 + seed);
        var features = data.Features.ToArray();
        var n = PairFeatures.Count;
        var random = new Random(seed);
        for (var copy = 0; copy < 200; copy++)
        {
            features.AsSpan(random.Next(data.Rows) * n, n).CopyTo(features.AsSpan(random.Next(data.Rows) * n, n));
        }

        var expected = new double[data.Rows];
        model.Score(features, data.Rows, expected);
        var kth = expected.OrderDescending().ElementAt(Math.Min(keep, data.Rows) - 1);
        var top = Enumerable.Range(0, data.Rows).Where(r => expected[r] >= kth).ToArray();

        var scores = new double[data.Rows];
        var survivors = new int[data.Rows];
        var m = learned.ScoreCandidates(features, data.Rows, keep, scores, survivors, bitvectors ? ScoringKernel.LeafBitvectors : ScoringKernel.Traversal);

        Assert.That(survivors[..m], Is.EqualTo(top));
        Assert.That(survivors[..m].Select(r => BitConverter.DoubleToInt64Bits(scores[r])), Is.EqualTo(top.Select(r => BitConverter.DoubleToInt64Bits(expected[r]))));
    }

    [Test]
    public void ScoreCandidates_rejects_wrong_arguments()
    {
        IRankingModel model = new LearnedRankingModel("deep/1", Deep.Value, Planted.Learned.ContributionScales, baselineWeight: 2);
        var n = PairFeatures.Count;
        Assert.Multiple(() =>
        {
            Assert.That(() => model.ScoreCandidates(new float[n * 4], -1, 1, new double[4], new int[4]), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => model.ScoreCandidates(new float[n * 4], 4, 0, new double[4], new int[4]), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => model.ScoreCandidates(new float[(n * 4) - 1], 4, 1, new double[4], new int[4]), Throws.ArgumentException);
            Assert.That(() => model.ScoreCandidates(new float[n * 4], 4, 1, new double[5], new int[4]), Throws.ArgumentException);
            Assert.That(() => model.ScoreCandidates(new float[n * 4], 4, 1, new double[4], new int[3]), Throws.ArgumentException);
        });
    }

    private static double[] Scores(IRankingModel model, RankingDataset data)
    {
        var scores = new double[data.Rows];
        model.Score(data.Features, data.Rows, scores);
        return scores;
    }
}
