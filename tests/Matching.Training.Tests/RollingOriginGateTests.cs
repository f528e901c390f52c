using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Training.Tests;

/// <summary>
/// The rolling-origin gate on the small history (1,500 clients over 6 weeks), through a
/// real SQLite file and real training.
/// </summary>
public class RollingOriginGateTests
{
    private static readonly SimulationOptions SmallHistory = new() { Therapists = 300, Clients = 1500, Weeks = 6, Seed = 12 };

    private string _root = null!;
    private SimulationResult _world = null!;
    private IReadOnlyList<LabeledPair> _pairs = null!;
    private LabeledHistory _history = null!;

    [OneTimeSetUp]
    public async Task LoadTheSmallHistory()
    {
        _root = Path.Combine(Path.GetTempPath(), "matching-gate-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _world = Simulator.Run(SmallHistory);
        await using var db = await HistoryDatabase.CreateAsync(Path.Combine(_root, "history.db"), new ManualClock(), _world);
        _history = await TrainingPipeline.LoadAsync(db.Feedback, ManualClock.Start, new TrainingSettings());
        _pairs = [.. _history.Train, .. _history.Holdout];
    }

    [OneTimeTearDown]
    public void DeleteTheRoot()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private static IRankingModel Train(IReadOnlyList<LabeledPair> pairs) => TrainingPipeline.Train(pairs, new TrainingSettings(), "challenger").Model;

    [Test]
    public void The_folds_test_more_queries_than_the_single_holdout_and_the_interval_holds_the_mean()
    {
        var single = TrainingSet.Build(_history.Holdout, GroupingPolicy.Cohort);

        var estimate = new RollingOriginGate().Estimate(_pairs, RuleBasedScorer.Instance, Train);

        TestContext.Out.WriteLine($"single holdout: {single.QueryCount} queries; rolling: {estimate.Queries} queries, gain {estimate.Gain:+0.0000;-0.0000} [{estimate.Low:+0.0000;-0.0000}, {estimate.High:+0.0000;-0.0000}]");
        foreach (var f in estimate.Folds)
        {
            TestContext.Out.WriteLine($"  fold from {f.From:u}: {f.Queries} queries, challenger {f.Challenger:0.0000}, champion {f.Champion:0.0000}");
        }

        Assert.That(estimate.Folds, Has.Count.GreaterThanOrEqualTo(2));
        Assert.That(estimate.Queries, Is.GreaterThan(single.QueryCount));
        Assert.That(estimate.Gain, Is.InRange(estimate.Low, estimate.High));
        Assert.That(estimate.High - estimate.Low, Is.Positive);
        Assert.That(estimate.Folds.Select(f => f.From), Is.Ordered.Ascending);
        Assert.That(estimate.Gain, Is.EqualTo(estimate.Folds.Sum(f => f.Queries * (f.Challenger - f.Champion)) / estimate.Queries).Within(1e-9));
    }

    [Test]
    public void A_champion_compared_with_itself_gains_exactly_nothing()
    {
        var estimate = new RollingOriginGate { Folds = 3 }.Estimate(_pairs, RuleBasedScorer.Instance, _ => RuleBasedScorer.Instance);

        Assert.That((estimate.Gain, estimate.Low, estimate.High), Is.EqualTo((0.0, 0.0, 0.0)));
    }

    [Test]
    public void Too_little_history_before_every_fold_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => new RollingOriginGate().Estimate(_pairs.Take(150).ToList(), RuleBasedScorer.Instance, Train));
    }
}
