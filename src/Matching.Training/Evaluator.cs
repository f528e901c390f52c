using Matching.Data;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Training;

/// <summary>
/// <c>matching evaluate</c>: trains a model per grouping policy on the older history, and
/// compares them with the rule-based baseline and random order on the newer history's observed
/// labels and, where a simulator's truth file exists, against the true alliance.
/// </summary>
public sealed class Evaluator(TherapistStore therapists, ShortlistStore shortlists, FeedbackStore feedback, TimeProvider clock)
{
    /// <summary>Name of the learned model trained with a grouping policy.</summary>
    public static string LearnedName(GroupingPolicy grouping) => $"lambdamart ({grouping.ToString().ToLowerInvariant()})";

    /// <summary>Name of a model from an ML.NET trainer with the prior entering as <paramref name="prior"/> (cohort groups).</summary>
    public static string LearnedName(RankingTrainer trainer, MlNetPrior prior) => $"{RankingTrainers.Name(trainer)} (prior {prior.ToString().ToLowerInvariant()})";

    /// <summary>
    /// The ML.NET variants every evaluation trains: LightGBM with the prior as a feature, as an
    /// offset and without it (the measurement that chose <see cref="TrainingSettings.MlNetPrior"/>),
    /// and FastTree with the chosen prior.
    /// </summary>
    public static IReadOnlyList<(RankingTrainer Trainer, MlNetPrior Prior)> MlNetVariants(MlNetPrior chosen) =>
    [
        (RankingTrainer.MlNetLightGbm, MlNetPrior.Feature),
        (RankingTrainer.MlNetLightGbm, MlNetPrior.Offset),
        (RankingTrainer.MlNetLightGbm, MlNetPrior.None),
        (RankingTrainer.MlNetFastTree, chosen),
    ];

    /// <summary>Name of a policy ranked by score minus capacity prices.</summary>
    public static string PricedName(string policy) => policy + " + prices";

    /// <summary>Name of a policy with the exploration bonus for under-observed therapists.</summary>
    public static string ExploringName(string policy) => policy + " + exposure";

    /// <summary>Name of a policy with the served exploration slot.</summary>
    public static string SlotName(string policy) => policy + " + exploration slot";

    // A partial oracle with and without prices: which knowledge the priced capacity replay needs (issue 12's diagnosis).
    private static EvaluatedPolicy[] Diagnostic(EvaluatedPolicy oracle) => [oracle, oracle with { Name = PricedName(oracle.Name), Priced = true }];

    /// <summary>Runs the evaluation; <paramref name="progress"/> hears each stage.</summary>
    /// <param name="settings">Training settings shared by every trainer.</param>
    /// <param name="truth">The simulator's truth, or null.</param>
    /// <param name="progress">Hears each stage.</param>
    /// <param name="primary">The trainer whose model the targets, iterations and importance describe.</param>
    /// <param name="ct">Cancels.</param>
    public async Task<EvaluationReport> RunAsync(TrainingSettings settings, AllianceTruth? truth, IProgress<string>? progress = null, CancellationToken ct = default, RankingTrainer primary = RankingTrainer.LambdaMart)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var asOf = clock.GetUtcNow();
        progress?.Report("loading labeled history");
        var history = await TrainingPipeline.LoadAsync(feedback, asOf, settings, ct);
        var tracks = await feedback.TrackRecordsAsync(history.Cutoff, ct: ct);
        var policies = new List<EvaluatedPolicy>();
        var models = new List<ModelSummary>();
        var iterations = (IReadOnlyList<Engine.Ranking.IterationMetrics>)[];
        IReadOnlyDictionary<FeatureGroup, double> importance = new Dictionary<FeatureGroup, double>();
        foreach (var grouping in Enum.GetValues<GroupingPolicy>())
        {
            progress?.Report($"training with {grouping} groups");
            TrainedModel trained;
            try
            {
                trained = TrainingPipeline.Train(history.Train, settings with { Grouping = grouping }, LearnedName(grouping), ct: ct);
            }
            catch (InvalidOperationException e)
            {
                progress?.Report($"skipped {grouping}: {e.Message}");
                continue;
            }

            policies.Add(new EvaluatedPolicy(LearnedName(grouping), trained.Model));
            if (grouping == settings.Grouping && primary == RankingTrainer.LambdaMart)
            {
                policies.Add(new EvaluatedPolicy(LearnedName(grouping) + " fit only", new FitOnlyModel(trained.Model, AlliancePrior.Of(tracks.Values))));
                policies.Add(new EvaluatedPolicy(PricedName(LearnedName(grouping)), trained.Model) { Priced = true });
            }

            models.Add(new ModelSummary(LearnedName(grouping), grouping, trained.TrainRows, trained.TrainQueries, trained.Model.Model.TreeCount, trained.Duration.TotalSeconds));
            if (grouping == settings.Grouping && primary == RankingTrainer.LambdaMart)
            {
                iterations = trained.Model.Model.Iterations;
                importance = EvaluationReport.Importance(trained.Model.Model);
            }
        }

        // The same trainer with the other inverse-propensity setting: with and without IPS side by side.
        var ipsClip = settings.PropensityClip > 0 ? 0 : OffPolicy.DefaultClip;
        var ipsName = LearnedName(settings.Grouping) + (ipsClip > 0 ? $" + IPS (clip {ipsClip:0})" : " without IPS");
        progress?.Report($"training {ipsName}");
        var ipsTrained = TrainingPipeline.Train(history.Train, settings with { PropensityClip = ipsClip }, ipsName, ct: ct);
        var ipsPolicy = new EvaluatedPolicy(ipsName, ipsTrained.Model);
        policies.Add(ipsPolicy);
        policies.Add(ipsPolicy with { Name = PricedName(ipsName), Priced = true });
        models.Add(new ModelSummary(ipsName, settings.Grouping, ipsTrained.TrainRows, ipsTrained.TrainQueries, ipsTrained.Model.Model.TreeCount, ipsTrained.Duration.TotalSeconds));

        var primaryName = primary == RankingTrainer.LambdaMart ? LearnedName(settings.Grouping) : LearnedName(primary, settings.MlNetPrior);
        foreach (var (trainer, prior) in MlNetVariants(settings.MlNetPrior))
        {
            var name = LearnedName(trainer, prior);
            progress?.Report($"training {name}");
            var trained = TrainingPipeline.Train(history.Train, settings with { Grouping = GroupingPolicy.Cohort, MlNetPrior = prior }, trainer, name, ct: ct);
            policies.Add(new EvaluatedPolicy(name, trained.Model));
            models.Add(new ModelSummary(name, GroupingPolicy.Cohort, trained.TrainRows, trained.TrainQueries, trained.Model.Model.TreeCount, trained.Duration.TotalSeconds));
            if (name == primaryName)
            {
                policies.Add(new EvaluatedPolicy(name + " fit only", new FitOnlyModel(trained.Model, AlliancePrior.Of(tracks.Values))));
                policies.Add(new EvaluatedPolicy(PricedName(name), trained.Model) { Priced = true });
                iterations = [];
                importance = EvaluationReport.Importance(trained.Model.Model);
            }
        }

        policies.Add(TrainingPipeline.Baseline);
        policies.Add(EvaluatedPolicy.Random);
        progress?.Report("scoring the holdout's observed labels");
        var holdout = TrainingSet.Build(history.Holdout, GroupingPolicy.Cohort);
        var observed = Evaluation.Observed(holdout, policies, settings.EvaluationSeed);

        IReadOnlyList<TruthMetrics>? truthMetrics = null;
        IReadOnlyList<TruthMetrics>? newTherapists = null;
        var holdoutClients = 0;
        if (truth is not null)
        {
            progress?.Report("evaluating against the true alliance");
            var clients = await shortlists.FirstRequestsAsync(history.Cutoff, asOf, ct);
            holdoutClients = clients.Count;
            var directory = await therapists.ActiveProfilesAsync(ct);
            // The first price windows see the requests of the weeks just before the holdout.
            var earlier = await shortlists.FirstRequestsAsync(history.Cutoff - TimeSpan.FromDays(7 * settings.Pricing.WindowWeeks), history.Cutoff, ct);
            var replay = new CapacityReplay { Earlier = earlier, Pricing = settings.Pricing, Baseline = TrainingPipeline.Baseline.Name };
            truthMetrics = Evaluation.AgainstTruth(clients, directory, tracks, truth,
                [.. policies, TrainingPipeline.Baseline with { Name = PricedName(TrainingPipeline.Baseline.Name), Priced = true },
                 EvaluatedPolicy.RankableOracle, EvaluatedPolicy.RankableOracle with { Name = PricedName(EvaluatedPolicy.RankableOracle.Name), Priced = true },
                 EvaluatedPolicy.CapacityOracle, EvaluatedPolicy.Oracle,
                 .. Diagnostic(EvaluatedPolicy.TherapistOracle), .. Diagnostic(EvaluatedPolicy.FitOracle), .. Diagnostic(EvaluatedPolicy.TrackFitOracle)],
                Evaluation.DefaultCandidates, settings.EvaluationSeed, replay);

            // New therapists: every tenth listing (by id) replayed without its track record, as if it
            // joined when the holdout starts; exposure with and without the bonus.
            if (policies.FirstOrDefault(p => p.Name == primaryName) is { } learned)
            {
                progress?.Report("replaying with new therapists");
                var newcomers = directory.OrderBy(t => t.Id, StringComparer.Ordinal).Where((_, i) => i % 10 == 0).Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
                newTherapists = Evaluation.AgainstTruth(clients, directory, tracks, truth,
                    [TrainingPipeline.Baseline, learned, learned with { Name = PricedName(learned.Name), Priced = true },
                     learned with { Name = ExploringName(PricedName(learned.Name)), Priced = true, ExplorationBonus = settings.ExplorationBonus },
                     learned with { Name = SlotName(PricedName(learned.Name)), Priced = true, ExplorationSlot = Exploration.DefaultShare },
                     ipsPolicy, ipsPolicy with { Name = PricedName(ipsName), Priced = true },
                     EvaluatedPolicy.Random, EvaluatedPolicy.CapacityOracle],
                    Evaluation.DefaultCandidates, settings.EvaluationSeed, replay with { NewTherapists = newcomers });
            }
        }

        // Off-policy: the holdout matches whose client took the top of the list, with its logged propensity.
        progress?.Report("estimating off-policy from the logged propensities");
        var requests = (await shortlists.FirstRequestsAsync(history.Cutoff, asOf, ct)).ToDictionary(r => r.Request.ClientId, r => r.Request, StringComparer.Ordinal);
        var logs = history.Holdout
            .Where(p => p.Position == 1 && p.Alliance is not null && requests.ContainsKey(p.ClientId))
            .Select(p => new LoggedTopChoice(requests[p.ClientId], p.TherapistId, p.Propensity, p.Alliance!.Value))
            .ToList();
        var offPolicy = OffPolicy.Estimate(logs, await therapists.ActiveProfilesAsync(ct), tracks,
            [.. policies.Where(p => p.Model is not null && !p.Priced && !p.Name.EndsWith(" fit only", StringComparison.Ordinal))], truth, OffPolicy.DefaultClip, settings.EvaluationSeed);

        var targets = EvaluationReport.Check(primaryName, TrainingPipeline.Baseline.Name, observed, truthMetrics, newTherapists);
        return new EvaluationReport(clock.GetUtcNow(), history.From, history.Cutoff, asOf, history.Train.Count, history.Holdout.Count, holdoutClients,
            models, observed, truthMetrics, iterations, importance, targets, newTherapists, offPolicy);
    }
}
