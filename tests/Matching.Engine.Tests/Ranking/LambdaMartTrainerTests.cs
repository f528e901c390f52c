using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

public class LambdaMartTrainerTests
{
    private static readonly LambdaMartOptions Small = new() { Trees = 30, Leaves = 8, MinLeafRows = 5, MinLeafHessian = 0.5 };

    [Test]
    public void Learns_a_planted_ordering()
    {
        var train = RankingTestData.Planted(queries: 60, docsPerQuery: 20, seed: 1);
        var test = RankingTestData.Planted(queries: 30, docsPerQuery: 20, seed: 2);

        var model = LambdaMartTrainer.Train(train, test, Small);

        var ndcg = Ndcg.Mean(test, RankingTestData.Scores(model, test), 10);
        var noiseOnly = Ndcg.Mean(test, test.Features.Where((_, i) => i % RankingTestData.Features == 1).Select(static v => (double)v).ToArray(), 10);
        Assert.That(ndcg, Is.GreaterThan(0.95));
        Assert.That(noiseOnly, Is.LessThan(0.8), "sanity: a noise feature ranks badly");
        Assert.That(model.FeatureImportance[0], Is.EqualTo(model.FeatureImportance.Max()), "x0 carries most of the gain");
    }

    [Test]
    public void Records_train_and_validation_metrics_every_round()
    {
        var train = RankingTestData.Planted(queries: 30, docsPerQuery: 15, seed: 1);
        var valid = RankingTestData.Planted(queries: 10, docsPerQuery: 15, seed: 2);
        var reported = new List<IterationMetrics>();

        var model = LambdaMartTrainer.Train(train, valid, Small with { EvalAt = [3, 10] }, new SynchronousProgress(reported.Add));

        Assert.That(model.Iterations, Has.Count.EqualTo(Small.Trees));
        Assert.That(reported, Is.EqualTo(model.Iterations));
        Assert.That(model.Iterations.Select(static m => m.Iteration), Is.EqualTo(Enumerable.Range(1, Small.Trees)));
        var last = model.Iterations[^1];
        Assert.That(last.TrainNdcg[1], Is.EqualTo(Ndcg.Mean(train, RankingTestData.Scores(model, train), 10)).Within(1e-12));
        Assert.That(last.ValidNdcg![0], Is.EqualTo(Ndcg.Mean(valid, RankingTestData.Scores(model, valid), 3)).Within(1e-12));
        Assert.That(model.Iterations[4].TrainNdcg[1], Is.LessThanOrEqualTo(last.TrainNdcg[1]));
    }

    [Test]
    public void Early_stopping_keeps_the_best_round()
    {
        var train = RankingTestData.Planted(queries: 30, docsPerQuery: 15, seed: 1);
        var valid = RankingTestData.Planted(queries: 10, docsPerQuery: 15, seed: 2);
        var options = Small with { Trees = 300, LearningRate = 0.5, EarlyStoppingRounds = 5 };

        var model = LambdaMartTrainer.Train(train, valid, options);

        Assert.That(model.Iterations.Count, Is.LessThan(300));
        Assert.That(model.TreeCount, Is.EqualTo(model.BestIteration));
        Assert.That(model.Iterations.Count - model.BestIteration, Is.EqualTo(5));
        var best = model.Iterations.Max(static m => m.ValidNdcg![^1]);
        Assert.That(model.Iterations[model.BestIteration - 1].ValidNdcg![^1], Is.EqualTo(best));
    }

    [TestCase(1)]
    [TestCase(2)]
    public void Same_seed_and_threads_give_identical_model_bytes(int threads)
    {
        var train = RankingTestData.Planted(queries: 40, docsPerQuery: 25, seed: 1);
        var options = Small with { Threads = threads, BaggingFraction = 0.7, FeatureFraction = 0.6, Seed = 11 };

        var first = Save(LambdaMartTrainer.Train(train, null, options));
        var second = Save(LambdaMartTrainer.Train(train, null, options));

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void Thread_count_does_not_change_the_trees()
    {
        var train = RankingTestData.Planted(queries: 40, docsPerQuery: 25, seed: 1);
        var options = Small with { BaggingFraction = 0.7, Seed = 3 };

        var one = LambdaMartTrainer.Train(train, null, options with { Threads = 1 });
        var two = LambdaMartTrainer.Train(train, null, options with { Threads = 2 });

        Assert.That(RankingTestData.Scores(two, train), Is.EqualTo(RankingTestData.Scores(one, train)));
    }

    [Test]
    public void Different_seeds_bag_differently()
    {
        var train = RankingTestData.Planted(queries: 40, docsPerQuery: 25, seed: 1);

        var a = LambdaMartTrainer.Train(train, null, Small with { BaggingFraction = 0.5, Seed = 1 });
        var b = LambdaMartTrainer.Train(train, null, Small with { BaggingFraction = 0.5, Seed = 2 });

        Assert.That(RankingTestData.Scores(a, train), Is.Not.EqualTo(RankingTestData.Scores(b, train)));
    }

    [Test]
    public void Cancellation_stops_training()
    {
        var train = RankingTestData.Planted(queries: 10, docsPerQuery: 10, seed: 1);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.That(() => LambdaMartTrainer.Train(train, null, Small, null, cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Invalid_options_are_rejected_by_name()
    {
        var train = RankingTestData.Planted(queries: 2, docsPerQuery: 5, seed: 1);

        Assert.That(() => LambdaMartTrainer.Train(train, null, new LambdaMartOptions { MaxBins = 300 }),
            Throws.ArgumentException.With.Message.Contains("MaxBins"));
        Assert.That(() => LambdaMartTrainer.Train(train, null, new LambdaMartOptions { LabelGains = [0, 1] }),
            Throws.ArgumentException.With.Message.Contains("custom label gains"), "labels up to 3 need four gains");
    }

    [Test]
    public void Beats_the_best_single_feature_on_the_letor_example()
    {
        var dir = RankingTestData.FindLtrExample();
        if (dir is null)
        {
            Assert.Ignore("shared/data/ltr-example was not found next to the repository (repoRoot/../shared/data/ltr-example).");
        }

        var train = Letor.Read(Path.Combine(dir, "rank.train"), Path.Combine(dir, "rank.train.query"));
        var test = Letor.Read(Path.Combine(dir, "rank.test"), Path.Combine(dir, "rank.test.query"), train.FeatureCount);

        var model = LambdaMartTrainer.Train(train, null, new LambdaMartOptions());

        // The best single feature reaches about 0.70 NDCG@10 on rank.test; XGBoost about 0.75.
        Assert.That(Ndcg.Mean(test, RankingTestData.Scores(model, test), 10), Is.GreaterThan(0.74));
    }

    private static byte[] Save(LambdaMartModel model)
    {
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    /// <summary>Reports on the training thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<IterationMetrics> report) : IProgress<IterationMetrics>
    {
        public void Report(IterationMetrics value) => report(value);
    }
}

/// <summary>Row weights (inverse propensities) in the LambdaRank gradients.</summary>
public class WeightedLambdaMartTests
{
    private static readonly LambdaMartOptions Small = new() { Trees = 20, Leaves = 2, MinLeafRows = 1, MinLeafHessian = 0.001 };

    // Twenty queries say the therapist with x = 0 is better, twenty say x = 1 is: unweighted the
    // evidence cancels; weighted, the heavier side wins.
    private static RankingDataset Conflicting(float weightOfFirstKind, float weightOfSecondKind)
    {
        var features = new List<float>();
        var labels = new List<float>();
        var weights = new List<float>();
        for (var q = 0; q < 40; q++)
        {
            var firstKind = q % 2 == 0;
            features.AddRange([0f, 1f]);
            labels.AddRange(firstKind ? [2f, 0f] : [0f, 2f]);
            var w = firstKind ? weightOfFirstKind : weightOfSecondKind;
            weights.AddRange([w, w]);
        }

        return new RankingDataset([.. features], 80, 1, [.. labels], RankingDataset.BoundariesFromGroupSizes(Enumerable.Repeat(2, 40).ToList()), null, [.. weights]);
    }

    private static double Gap(RankingDataset data)
    {
        var model = LambdaMartTrainer.Train(data, null, Small);
        var probe = new RankingDataset([0f, 1f], 2, 1, [0f, 0f], [0, 2]);
        var scores = RankingTestData.Scores(model, probe);
        return scores[0] - scores[1];
    }

    [Test]
    public void The_heavier_queries_decide_the_learned_order_and_equal_weights_leave_a_tie()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Gap(Conflicting(5, 1)), Is.GreaterThan(0.1), "x = 0 first when its queries weigh more");
            Assert.That(Gap(Conflicting(1, 5)), Is.LessThan(-0.1), "x = 1 first when its queries weigh more");
            // Not exactly 0: tied scores are ordered by row in the first round's gradients.
            Assert.That(Gap(Conflicting(1, 1)), Is.EqualTo(0).Within(0.01), "next to no preference when the evidence cancels");
        });
    }

    [Test]
    public void Unit_weights_train_exactly_the_unweighted_model()
    {
        var unit = Conflicting(1, 1);
        var heavierFirst = new RankingDataset(unit.Features, unit.Rows, 1, [.. unit.Labels.Select((l, i) => i % 4 == 0 ? 2f : l)], unit.QueryBoundaries);
        var weighted = new RankingDataset(heavierFirst.Features, heavierFirst.Rows, 1, heavierFirst.Labels, heavierFirst.QueryBoundaries, null, [.. Enumerable.Repeat(1f, 80)]);
        var probe = new RankingDataset([0f, 1f], 2, 1, [0f, 0f], [0, 2]);

        Assert.That(RankingTestData.Scores(LambdaMartTrainer.Train(weighted, null, Small), probe),
            Is.EqualTo(RankingTestData.Scores(LambdaMartTrainer.Train(heavierFirst, null, Small), probe)));
    }

    [Test]
    public void Weights_must_be_positive_and_one_per_row() =>
        Assert.That(() => new RankingDataset([0f, 1f], 2, 1, [0f, 1f], [0, 2], null, [1f, 0f]), Throws.ArgumentException);
}
