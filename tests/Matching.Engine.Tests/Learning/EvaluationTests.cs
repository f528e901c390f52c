using Matching.Engine.Allocation;
using Matching.Engine.Domain;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Learning;

[TestFixture]
public sealed class EvaluationTests
{
    private static readonly SimulationOptions SmallWorld = new() { Therapists = 60, Clients = 400, Seed = 11, Weeks = 8 };

    private static readonly EvaluatedPolicy RuleBased = new("rule-based", RuleBasedScorer.Instance);

    private static readonly EvaluatedPolicy[] Policies = [EvaluatedPolicy.Random, EvaluatedPolicy.Oracle, EvaluatedPolicy.RankableOracle, RuleBased];

    private SimulationResult _world = null!;
    private List<(ClientPreferences Client, DateTimeOffset At)> _arrivals = null!;
    private IReadOnlyList<TruthMetrics> _metrics = null!;

    [OneTimeSetUp]
    public void EvaluateOnASmallWorld()
    {
        _world = Simulator.Run(SmallWorld);
        var clients = _world.Clients.ToDictionary(c => c.ClientId);
        _arrivals = _world.Shortlists
            .GroupBy(s => s.ClientId)
            .Select(g => (clients[g.Key], g.Min(s => s.CreatedAt)))
            .OrderBy(a => a.Item2)
            .ToList();
        _metrics = Evaluate(_arrivals, _world.Therapists);
    }

    // Worked by hand: gains are value - min, discounts 1/log2(position + 1), divided by the ideal order's DCG.
    [TestCase(new[] { 3.0, 1.0, 2.0 }, 10, 0.9502344167898356, TestName = "[3, 1, 2]: (2 + 1/2) / (2 + 1/log2 3)")]
    [TestCase(new[] { 1.0, 2.0 }, 10, 0.6309297535714575, TestName = "[1, 2]: (1/log2 3) / 1")]
    [TestCase(new[] { 2.0, 3.0, 1.0 }, 1, 0.5, TestName = "[2, 3, 1] at k = 1: 1 / 2")]
    [TestCase(new[] { 0.5, -0.5, 1.5 }, 10, 0.7601875334318685, TestName = "[0.5, -0.5, 1.5]: (1 + 2/2) / (2 + 1/log2 3)")]
    [TestCase(new[] { 0.0, 0.0, 1.0 }, 2, 0.0, TestName = "[0, 0, 1] at k = 2: the best is below the cut")]
    [TestCase(new[] { 0.0, 0.0, 1.0 }, 3, 0.5, TestName = "[0, 0, 1] at k = 3: (1/2) / 1")]
    public void TrueNdcg_uses_linear_gains_above_the_lists_minimum(double[] trueInOrder, int k, double expected)
    {
        Assert.That(Evaluation.TrueNdcg(trueInOrder, k), Is.EqualTo(expected).Within(1e-12));
    }

    [TestCase(new[] { 5.0, 4.0, 3.0, 2.0 })]
    [TestCase(new[] { 0.3, 0.2 })]
    [TestCase(new[] { -1.0, -2.0, -2.0 })]
    public void TrueNdcg_of_the_ideal_order_is_one(double[] trueInOrder)
    {
        Assert.That(Evaluation.TrueNdcg(trueInOrder, 10), Is.EqualTo(1.0).Within(1e-12));
    }

    [TestCase(new[] { 0.7, 0.7, 0.7 })]
    [TestCase(new[] { 2.0 })]
    public void TrueNdcg_when_every_value_is_equal_is_one(double[] trueInOrder)
    {
        Assert.That(Evaluation.TrueNdcg(trueInOrder, 10), Is.EqualTo(1.0));
    }

    [Test]
    public void The_oracle_ranks_perfectly_and_its_top_choice_is_never_beaten()
    {
        var oracle = Metric(EvaluatedPolicy.Oracle);

        Assert.That(oracle.Ndcg10, Is.EqualTo(1.0).Within(1e-12));
        foreach (var other in _metrics)
        {
            Assert.That(oracle.Top1, Is.GreaterThanOrEqualTo(other.Top1), other.Policy);
            Assert.That(oracle.Top5, Is.GreaterThanOrEqualTo(other.Top5), other.Policy);
            Assert.That(oracle.Ndcg10, Is.GreaterThanOrEqualTo(other.Ndcg10 - 1e-12), other.Policy);
        }
    }

    [Test]
    public void The_rankable_oracle_beats_random()
    {
        var rankable = Metric(EvaluatedPolicy.RankableOracle);
        var random = Metric(EvaluatedPolicy.Random);

        Assert.That(rankable.Top1, Is.GreaterThan(random.Top1));
        Assert.That(rankable.Ndcg10, Is.GreaterThan(random.Ndcg10));
        Assert.That(rankable.Assigned, Is.GreaterThan(random.Assigned));
    }

    [Test]
    public void The_partial_oracles_each_know_less_than_the_rankable_oracle()
    {
        EvaluatedPolicy[] partial = [EvaluatedPolicy.RankableOracle, EvaluatedPolicy.TherapistOracle, EvaluatedPolicy.FitOracle, EvaluatedPolicy.TrackFitOracle, EvaluatedPolicy.Random];
        var byName = Evaluation.AgainstTruth(_arrivals, _world.Therapists, new Dictionary<string, TrackRecord>(), _world.Truth, partial).ToDictionary(m => m.Policy);
        var rankable = byName[EvaluatedPolicy.RankableOracle.Name];

        Assert.Multiple(() =>
        {
            foreach (var p in new[] { EvaluatedPolicy.TherapistOracle, EvaluatedPolicy.FitOracle })
            {
                Assert.That(byName[p.Name].Top1, Is.LessThan(rankable.Top1), p.Name);
                Assert.That(byName[p.Name].Top1, Is.GreaterThan(byName[EvaluatedPolicy.Random.Name].Top1), p.Name);
            }

            // No track records: the track record says nothing, so it ranks by fit alone.
            Assert.That(byName[EvaluatedPolicy.TrackFitOracle.Name].Top1, Is.EqualTo(byName[EvaluatedPolicy.FitOracle.Name].Top1));
        });
    }

    [Test]
    public void The_track_record_oracle_gains_on_fit_alone_as_far_as_the_records_show_the_therapists()
    {
        // Records that show each therapist's general effect exactly (a straight line of it, with many ratings).
        var tracks = _world.Therapists.ToDictionary(
            t => t.Id,
            t => new TrackRecord(10_000, 0.8 + (0.1 * _world.Truth.TherapistMainEffect(_world.Truth.IndexOfTherapist(t.Id))), new Dictionary<Goal, (int, double)>()));
        EvaluatedPolicy[] partial = [EvaluatedPolicy.FitOracle, EvaluatedPolicy.TrackFitOracle, EvaluatedPolicy.RankableOracle];
        var byName = Evaluation.AgainstTruth(_arrivals, _world.Therapists, tracks, _world.Truth, partial).ToDictionary(m => m.Policy);

        Assert.That(byName[EvaluatedPolicy.TrackFitOracle.Name].Top1, Is.GreaterThan(byName[EvaluatedPolicy.FitOracle.Name].Top1));
        Assert.That(byName[EvaluatedPolicy.TrackFitOracle.Name].Top1, Is.LessThanOrEqualTo(byName[EvaluatedPolicy.RankableOracle.Name].Top1 + 0.02),
            "the general effect is most of the therapist effect; the per-goal part is unknown to it");
    }

    [Test]
    public void Fit_only_holds_every_track_record_feature_at_the_prior_and_nothing_else()
    {
        var prior = new AlliancePrior(0.8, 500);
        var seen = new RecordingModel();
        var row = Enumerable.Range(0, PairFeatures.Count).Select(f => 0.01f * (f + 1)).ToArray();

        new FitOnlyModel(seen, prior).Score(row, 1, new double[1]);

        var expected = (float[])row.Clone();
        expected[PairFeatures.Index.TrackAlliance] = 0.8f;
        expected[PairFeatures.Index.TrackVolume] = 0f;
        expected[PairFeatures.Index.TrackGoalAlliance] = 0.8f;
        Assert.That(seen.Features, Is.EqualTo(expected));
        Assert.That(
            PairFeatures.Schema.Select((f, i) => (f, i)).Where(x => x.f.Group == FeatureGroup.TrackRecord).Select(x => x.i),
            Is.EquivalentTo(new[] { PairFeatures.Index.TrackAlliance, PairFeatures.Index.TrackVolume, PairFeatures.Index.TrackGoalAlliance }),
            "every track-record feature of the schema is held");
    }

    private sealed class RecordingModel : IRankingModel
    {
        public float[] Features { get; private set; } = [];

        public string Version => "recording";

        public string FeatureSchemaVersion => PairFeatures.SchemaVersion;

        public void Score(ReadOnlySpan<float> features, int rows, Span<double> scores) => Features = features.ToArray();

        public void Contributions(ReadOnlySpan<float> row, Span<double> contributions)
        {
        }

        public double ContributionScale(FeatureGroup group) => 1;
    }

    [Test]
    public void Random_picks_the_mean_of_the_eligible_therapists()
    {
        // Each evaluated client's candidates are a random sample of the eligible, so random's first
        // and first five average the eligible therapists' true alliance, up to sampling error.
        var (means, variances) = EligibleAlliance();
        var expected = means.Average();
        var standardError = Math.Sqrt(variances.Average() / means.Count);
        var random = Metric(EvaluatedPolicy.Random);
        TestContext.Out.WriteLine($"eligible mean {expected:F4}, SE {standardError:F4}; random top-1 {random.Top1:F4}, top-5 {random.Top5:F4}");

        Assert.That(random.Top1, Is.EqualTo(expected).Within(4 * standardError));
        Assert.That(random.Top5, Is.EqualTo(expected).Within(4 * standardError));
    }

    [Test]
    public void Every_policy_evaluates_the_clients_with_two_or_more_eligible_therapists()
    {
        var (means, _) = EligibleAlliance();

        Assert.That(_metrics.Select(m => m.Policy), Is.EqualTo(Policies.Select(p => p.Name)));
        Assert.That(_metrics.Select(m => m.Clients), Is.All.EqualTo(means.Count));
        Assert.That(means, Has.Count.GreaterThan(_arrivals.Count / 2));
    }

    [Test]
    public void Clients_and_therapists_the_truth_does_not_know_are_skipped()
    {
        var stranger = _arrivals[0].Client with { ClientId = "not-simulated" };
        var newcomer = _world.Therapists[0] with { Id = "not-simulated" };

        var metrics = Evaluate([.. _arrivals, (stranger, _arrivals[0].At)], [.. _world.Therapists, newcomer]);

        Assert.That(metrics, Is.EqualTo(_metrics));
    }

    [Test]
    public void The_same_seed_gives_the_same_metrics_and_another_seed_other_random_ones()
    {
        var again = Evaluate(_arrivals, _world.Therapists);
        var reseeded = Evaluation.AgainstTruth(_arrivals, _world.Therapists, new Dictionary<string, TrackRecord>(), _world.Truth, Policies, seed: 2);

        Assert.That(again, Is.EqualTo(_metrics));
        Assert.That(reseeded.Single(m => m.Policy == EvaluatedPolicy.Random.Name), Is.Not.EqualTo(Metric(EvaluatedPolicy.Random)));
        Assert.That(reseeded.Single(m => m.Policy == EvaluatedPolicy.Oracle.Name).Ndcg10, Is.EqualTo(1.0).Within(1e-12));
    }

    [Test]
    public void Capacity_binds_the_replay_one_new_client_per_therapist_per_week()
    {
        var singlePlace = _world.Therapists.Select(t => t with { WeeklyNewClientCapacity = 1 }).ToList();
        var monday = new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);
        var oneWeek = _arrivals.Select((a, i) => (a.Client, monday.AddMinutes(i))).ToList();
        var twoWeeks = _arrivals.Select((a, i) => (a.Client, monday.AddDays(7 * (i % 2)).AddMinutes(i))).ToList();

        var inOneWeek = Evaluate(oneWeek, singlePlace);
        var inTwoWeeks = Evaluate(twoWeeks, singlePlace);

        var accepting = singlePlace.Count(t => t.AcceptingNewClients);
        Assert.That(inOneWeek.Select(m => m.AssignedClients), Is.All.InRange(1, accepting));
        Assert.That(inTwoWeeks.Select(m => m.AssignedClients), Is.All.InRange(1, 2 * accepting));
        Assert.That(inTwoWeeks.Sum(m => m.AssignedClients), Is.GreaterThan(inOneWeek.Sum(m => m.AssignedClients)));

        // One place a week: each therapist's load is 0 or 1 in one week, 0, ½ or 1 over two, and the
        // percentiles are ordered.
        foreach (var (metrics, weeks) in new[] { (inOneWeek, 1), (inTwoWeeks, 2) })
        {
            foreach (var m in metrics)
            {
                var load = m.TherapistLoad!;
                Assert.That(new[] { load.P10, load.P50, load.P90 }, Is.Ordered.And.All.InRange(0.0, 1.0), m.Policy);
                Assert.That(new[] { load.P10, load.P50, load.P90 }.Select(x => x * weeks), Is.All.EqualTo(0.0).Or.EqualTo(1.0).Or.EqualTo(2.0), m.Policy);
            }
        }
    }

    [Test]
    public void The_replay_assigns_at_most_the_clients_it_replays()
    {
        // Not bounded by Clients: the replay takes every client the truth knows, including those with
        // a single eligible therapist whom the ranking part does not evaluate (here 163 evaluated, ~240 assigned).
        Assert.That(_metrics.Select(m => m.AssignedClients), Is.All.InRange(1, _arrivals.Count));
        Assert.That(_metrics.Select(m => m.AssignedDropout), Is.All.InRange(0.0, 1.0));
    }

    [Test]
    public void A_world_without_places_evaluates_and_assigns_no_one()
    {
        var full = _world.Therapists.Select(t => t with { WeeklyNewClientCapacity = 0 }).ToList();

        var metrics = Evaluate(_arrivals, full);

        Assert.That(metrics.Select(m => m.Clients), Is.All.Zero);
        Assert.That(metrics.Select(m => m.AssignedClients), Is.All.Zero);
        Assert.That(metrics.Select(m => (m.Ndcg10, m.Top1, m.Assigned)), Is.All.EqualTo((0.0, 0.0, 0.0)));
    }

    [Test]
    public void With_scarce_places_the_capacity_aware_oracle_places_everyone_it_can_and_beats_every_greedy_replay()
    {
        // One place per therapist and the clients packed into two weeks: capacity binds hard.
        var (arrivals, therapists) = ScarceWorld();
        var pricedRuleBased = RuleBased with { Name = "rule-based + prices", Priced = true };
        var pricedOracle = EvaluatedPolicy.RankableOracle with { Name = "rankable + prices", Priced = true };
        EvaluatedPolicy[] policies = [RuleBased, pricedRuleBased, EvaluatedPolicy.RankableOracle, pricedOracle, EvaluatedPolicy.CapacityOracle];

        var metrics = Evaluation.AgainstTruth(arrivals, therapists, new Dictionary<string, TrackRecord>(), _world.Truth, policies,
            replay: new CapacityReplay { Baseline = RuleBased.Name });
        var byName = metrics.ToDictionary(m => m.Policy);
        var capacityOracle = byName[EvaluatedPolicy.CapacityOracle.Name];
        foreach (var m in metrics)
        {
            TestContext.Out.WriteLine($"{m.Policy}: assigned {m.AssignedClients}, alliance {m.Assigned:F3}, places used {m.CapacityUsed:P1}, most loaded {m.MostLoaded}");
        }

        Assert.That(metrics.Select(m => m.MostLoaded), Is.All.InRange(0.0, 1.0), "no therapist above capacity");
        Assert.That(metrics.Select(m => m.AssignedClients), Is.All.LessThanOrEqualTo(capacityOracle.AssignedClients));
        Assert.That(capacityOracle.Assigned, Is.GreaterThan(byName[EvaluatedPolicy.RankableOracle.Name].Assigned));
        Assert.That(capacityOracle.Assigned, Is.GreaterThan(byName[pricedOracle.Name].Assigned));
        Assert.That(capacityOracle.Top1, Is.EqualTo(byName[EvaluatedPolicy.RankableOracle.Name].Top1), "per client it ranks as the rankable oracle");
    }

    [Test]
    public void Prices_change_only_the_capacity_replay_and_the_baseline_differs_from_itself_by_nothing()
    {
        var (arrivals, therapists) = ScarceWorld();
        var priced = RuleBased with { Name = "rule-based + prices", Priced = true };

        var metrics = Evaluation.AgainstTruth(arrivals, therapists, new Dictionary<string, TrackRecord>(), _world.Truth, [RuleBased, priced],
            replay: new CapacityReplay { Baseline = RuleBased.Name, Pricing = new CapacityPricing { Refresh = TimeSpan.FromHours(1) } });

        Assert.That((metrics[1].Ndcg10, metrics[1].Top1, metrics[1].Top5), Is.EqualTo((metrics[0].Ndcg10, metrics[0].Top1, metrics[0].Top5)));
        Assert.That(metrics[1].Assigned, Is.Not.EqualTo(metrics[0].Assigned), "prices steer some clients elsewhere");
        Assert.That(metrics[0].AssignedVsBaseline, Is.EqualTo(new Difference(0, 0, 0, metrics[0].AssignedClients)));
        Assert.That(metrics[1].DropoutVsBaseline!.Low, Is.LessThanOrEqualTo(metrics[1].DropoutVsBaseline!.High));
    }

    [Test]
    public void The_exploration_slot_gives_new_therapists_exposure_and_changes_no_placement()
    {
        // A directory large enough that clients have more than ten eligible therapists (the slot draws
        // from below the top ten). Established therapists have a long record (never drawn); every
        // fifth is new (no record: drawable).
        var world = Simulator.Run(new SimulationOptions { Therapists = 400, Clients = 300, Seed = 5, Weeks = 4 });
        var clients = world.Clients.ToDictionary(c => c.ClientId);
        var arrivals = world.Shortlists.GroupBy(s => s.ClientId).Select(g => (clients[g.Key], g.Min(s => s.CreatedAt))).OrderBy(a => a.Item2).ToList();
        var tracks = world.Therapists.ToDictionary(t => t.Id, _ => new TrackRecord(50, 0.85, new Dictionary<Goal, (int, double)>()));
        var newcomers = world.Therapists.Where((_, i) => i % 5 == 0).Select(t => t.Id).ToHashSet();
        var learned = new EvaluatedPolicy("rule-based", RuleBased.Model) { Priced = true };
        EvaluatedPolicy[] policies = [learned, learned with { Name = "slot 0.05", ExplorationSlot = 0.05 }, learned with { Name = "slot 0.5", ExplorationSlot = 0.5 }];

        var metrics = Evaluation.AgainstTruth(arrivals, world.Therapists, tracks, world.Truth, policies, replay: new CapacityReplay { NewTherapists = newcomers });

        TestContext.Out.WriteLine($"exposure ratio {metrics[0].NewTherapistExposure:F3}, slot 0.05 {metrics[1].NewTherapistExposure:F3}, slot 0.5 {metrics[2].NewTherapistExposure:F3}");
        Assert.Multiple(() =>
        {
            Assert.That(metrics[1].NewTherapistExposure, Is.GreaterThan(metrics[0].NewTherapistExposure!.Value));
            Assert.That(metrics[2].NewTherapistExposure, Is.GreaterThan(metrics[1].NewTherapistExposure!.Value), "a larger share gives more");
            Assert.That(metrics.Select(m => (m.Assigned, m.AssignedDropout, m.Top1)).Distinct().Count(), Is.EqualTo(1), "the slot moves exposure only");
        });
    }

    [Test]
    public void An_exploration_bonus_raises_the_exposure_of_new_therapists_against_established_ones_of_the_same_fit()
    {
        // Established therapists have a long, good record; every fifth is new (its record hidden in the replay).
        var tracks = _world.Therapists.ToDictionary(t => t.Id, _ => new TrackRecord(50, 0.85, new Dictionary<Goal, (int, double)>()));
        var newcomers = _world.Therapists.Where((_, i) => i % 5 == 0).Select(t => t.Id).ToHashSet();
        var learned = new EvaluatedPolicy("rule-based", RuleBased.Model) { Priced = true };
        var exploring = learned with { Name = "rule-based + exposure", ExplorationBonus = 1.0 };

        var metrics = Evaluation.AgainstTruth(_arrivals, _world.Therapists, tracks, _world.Truth, [learned, exploring],
            replay: new CapacityReplay { NewTherapists = newcomers });
        var without = Evaluation.AgainstTruth(_arrivals, _world.Therapists, tracks, _world.Truth, [learned]);

        TestContext.Out.WriteLine($"exposure ratio without bonus {metrics[0].NewTherapistExposure:F2}, with {metrics[1].NewTherapistExposure:F2}");
        Assert.That(metrics[0].NewTherapistExposure, Is.Not.Null);
        Assert.That(metrics[1].NewTherapistExposure, Is.GreaterThan(metrics[0].NewTherapistExposure));
        Assert.That(without[0].NewTherapistExposure, Is.Null, "measured only when new therapists are named");
        Assert.That(metrics[1].Top1, Is.EqualTo(metrics[0].Top1), "the bonus acts in the replay only");
    }

    [Test]
    public void Observed_scores_random_and_the_models_but_not_the_oracles()
    {
        var holdout = Planted.Holdout;
        EvaluatedPolicy learned = new("planted", Planted.Learned);
        EvaluatedPolicy[] policies = [EvaluatedPolicy.Random, EvaluatedPolicy.Oracle, learned, EvaluatedPolicy.RankableOracle, RuleBased];

        var metrics = Evaluation.Observed(holdout, policies, seed: 5);

        Assert.That(metrics.Select(m => m.Policy), Is.EqualTo(new[] { "random", "planted", "rule-based" }));
        Assert.That(metrics.Select(m => (m.Queries, m.Rows)), Is.All.EqualTo((holdout.QueryCount, holdout.Rows)));
        var random = metrics[0];
        Assert.That(new[] { random.Ndcg1, random.Ndcg5, random.Ndcg10 }, Is.All.Positive.And.All.LessThanOrEqualTo(1.0));
        Assert.That(metrics[1].Ndcg5, Is.GreaterThan(random.Ndcg5));
    }

    [Test]
    public void Observed_NDCG_of_a_model_is_that_of_its_scores()
    {
        var holdout = Planted.Holdout;
        var scores = new double[holdout.Rows];
        Planted.Learned.Score(holdout.Features, holdout.Rows, scores);

        var metric = Evaluation.Observed(holdout, [new EvaluatedPolicy("planted", Planted.Learned)], seed: 1).Single();

        Assert.That(
            new[] { metric.Ndcg1, metric.Ndcg5, metric.Ndcg10 },
            Is.EqualTo(new[] { Ndcg.Mean(holdout, scores, 1), Ndcg.Mean(holdout, scores, 5), Ndcg.Mean(holdout, scores, 10) }));
    }

    [Test]
    public void Observed_random_depends_only_on_the_seed()
    {
        var first = Evaluation.Observed(Planted.Holdout, [EvaluatedPolicy.Random], seed: 3);
        var again = Evaluation.Observed(Planted.Holdout, [EvaluatedPolicy.Random], seed: 3);
        var other = Evaluation.Observed(Planted.Holdout, [EvaluatedPolicy.Random], seed: 4);

        Assert.That(again, Is.EqualTo(first));
        Assert.That(other, Is.Not.EqualTo(first));
    }

    private List<TruthMetrics> Evaluate(IReadOnlyList<(ClientPreferences Client, DateTimeOffset At)> arrivals, IReadOnlyList<TherapistProfile> therapists) =>
        [.. Evaluation.AgainstTruth(arrivals, therapists, new Dictionary<string, TrackRecord>(), _world.Truth, Policies)];

    private (List<(ClientPreferences Client, DateTimeOffset At)> Arrivals, List<TherapistProfile> Therapists) ScarceWorld()
    {
        var monday = new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);
        var arrivals = _arrivals.Select((a, i) => (a.Client, monday.AddDays(7 * (i % 2)).AddMinutes(20 * i))).OrderBy(a => a.Item2).ToList();
        return (arrivals, [.. _world.Therapists.Select(t => t with { WeeklyNewClientCapacity = 1 })]);
    }

    private TruthMetrics Metric(EvaluatedPolicy policy) => _metrics.Single(m => m.Policy == policy.Name);

    /// <summary>Per client with two or more eligible therapists: the mean and variance of their true alliance.</summary>
    private (List<double> Means, List<double> Variances) EligibleAlliance()
    {
        var means = new List<double>();
        var variances = new List<double>();
        foreach (var (client, _) in _arrivals)
        {
            var alliance = _world.Therapists
                .Where(t => HardConstraintFilter.FirstFailed(client, t, t.WeeklyNewClientCapacity) is null)
                .Select(t => _world.Truth.TrueAlliance(client.ClientId, t.Id))
                .ToList();
            if (alliance.Count >= 2)
            {
                var mean = alliance.Average();
                means.Add(mean);
                variances.Add(alliance.Average(a => (a - mean) * (a - mean)));
            }
        }

        return (means, variances);
    }
}
