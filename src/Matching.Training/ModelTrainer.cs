using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Matching.Data;
using Matching.Engine.Domain;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Training;

/// <summary>The stages of a training run, for progress display.</summary>
public enum TrainingStage
{
    /// <summary>Reading labeled history from the store.</summary>
    Loading,
    /// <summary>Training the challengers.</summary>
    Training,
    /// <summary>Scoring challenger and champion on the holdout.</summary>
    Evaluating,
    /// <summary>Storing, and activating if promoted.</summary>
    Deciding,
    /// <summary>Writing the report.</summary>
    Reporting,
}

/// <summary>Progress of a run: the stage and, while training, the trainer and its round (ML.NET reports no rounds).</summary>
public sealed record TrainingProgress(TrainingStage Stage, int Round = 0, int Rounds = 0, string? Trainer = null);

/// <summary>When a challenger replaces the champion.</summary>
/// <param name="Margin">Holdout NDCG@10 the challenger must gain over the champion; default 0.002.</param>
/// <param name="Force">Promote whatever the holdout says (recorded as forced).</param>
/// <param name="RollingFolds">When above 0, the decision uses a <see cref="RollingOriginGate"/> with this many time folds over the history: promoted when its mean gain reaches the margin; the interval is in the reason. 0 (default) keeps the single holdout.</param>
public sealed record PromotionPolicy(double Margin = 0.002, bool Force = false, int RollingFolds = 0);

/// <summary>What a run decided and where its report is.</summary>
public sealed record TrainingOutcome(TrainingRunRecord Run, string? ActivatedVersion)
{
    /// <summary>Whether the run failed (no model trained or stored).</summary>
    public bool Failed => Run.Decision == ModelTrainer.Failed;
}

/// <summary>
/// The nightly routine: build training data from the feedback stored up to now, train a
/// challenger with each configured trainer, evaluate them and the active champion on the same
/// time-based holdout, and promote the best challenger only if it is better by the margin. Every
/// run is recorded, with a report.
/// </summary>
public sealed class ModelTrainer(FeedbackStore feedback, ModelStore models, TimeProvider clock)
{
    /// <summary>Decision names.</summary>
    public const string Promoted = "promoted", Kept = "kept", Forced = "forced", Failed = "failed";

    /// <summary>
    /// Runs once: fits a challenger with each of <see cref="TrainingSettings.Trainers"/> on the
    /// same rows, scores every challenger and the champion on the same holdout, stores every
    /// challenger, and promotes the best one if it beats the champion by the margin. A trainer
    /// that fails is named in the reason and the others go on; the run fails only when none
    /// trained. Failures are recorded and returned, not thrown.
    /// </summary>
    public async Task<TrainingOutcome> RunAsync(TrainingSettings settings, PromotionPolicy policy, string reportRoot, string by, IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(policy);
        var id = Guid.NewGuid();
        var started = clock.GetUtcNow();
        var watch = Stopwatch.StartNew();
        var parameters = JsonSerializer.Serialize(new
        {
            settings.HoldoutFraction, settings.ValidationFraction, Grouping = settings.Grouping.ToString(), Trainers = settings.Trainers.Select(RankingTrainers.Name),
            settings.Model, settings.MlNet, MlNetPrior = settings.MlNetPrior.ToString(), settings.BaselineWeight, policy.Margin, policy.Force,
        });
        LabeledHistory history;
        var challengers = new List<TrainedModel>();
        var failures = new List<string>();
        try
        {
            progress?.Report(new(TrainingStage.Loading));
            history = await TrainingPipeline.LoadAsync(feedback, started, settings, ct);
            if (settings.Trainers.Count == 0)
            {
                throw new ArgumentException("No trainer is configured.");
            }

            foreach (var trainer in settings.Trainers.Distinct())
            {
                var name = RankingTrainers.Name(trainer);
                progress?.Report(new(TrainingStage.Training, 0, settings.Model.Trees, name));
                var rounds = new Relay<IterationMetrics>(m => progress?.Report(new(TrainingStage.Training, m.Iteration, settings.Model.Trees, name)));
                try
                {
                    challengers.Add(TrainingPipeline.Train(history.Train, settings, trainer, TrainingPipeline.VersionAt(started, id, trainer), rounds, ct));
                }
                catch (Exception e) when (settings.Trainers.Count > 1 && e is InvalidOperationException or ArgumentException or InvalidDataException or DllNotFoundException or EntryPointNotFoundException)
                {
                    // One library failing (a native LightGBM that does not load, an export that
                    // does not reproduce its scores) must not stop the others' challengers.
                    failures.Add($"{name} failed: {e.Message}");
                }
            }

            if (challengers.Count == 0)
            {
                throw new InvalidOperationException(string.Join("; ", failures));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or InvalidDataException)
        {
            var failed = new TrainingRunRecord(id, started, clock.GetUtcNow(), null, started, null, 0, 0, 0, 0, parameters, null, null, null, null, Failed, e.Message, null);
            await models.RecordRunAsync(failed, ct);
            return new TrainingOutcome(failed, null);
        }

        progress?.Report(new(TrainingStage.Evaluating));
        var holdout = TrainingSet.Build(history.Holdout, GroupingPolicy.Cohort);
        var (champion, championNote) = await ChampionAsync(ct);
        var championMetrics = Metrics(champion, holdout);

        // Best first; a tie keeps the configured order (the first trainer listed wins it).
        var results = challengers
            .Select((c, order) => (Trained: c, Metrics: Metrics(c.Model, holdout), Order: order))
            .OrderByDescending(r => r.Metrics["ndcg@10"]).ThenBy(r => r.Order)
            .ToList();
        var best = results[0];
        var challenger = best.Trained;
        var challengerMetrics = best.Metrics;

        progress?.Report(new(TrainingStage.Deciding));
        var gain = challengerMetrics["ndcg@10"] - championMetrics["ndcg@10"];
        var rolling = "";
        if (policy.RollingFolds > 0)
        {
            GateEstimate estimate;
            try
            {
                estimate = new RollingOriginGate { Folds = policy.RollingFolds }.Estimate(
                    [.. history.Train, .. history.Holdout], champion, pairs => TrainingPipeline.Train(pairs, settings, RankingTrainers.Parse(challenger.Model.Provenance.Trainer) ?? RankingTrainer.LambdaMart, challenger.Model.Version, ct: ct).Model, ct);
            }
            catch (InvalidOperationException e)
            {
                // Too little history for the folds: the single holdout decides, and the reason says so.
                estimate = new GateEstimate(gain, gain, gain, holdout.QueryCount, []);
                championNote = $"; rolling folds not possible ({e.Message}), the single holdout decided" + championNote;
            }

            gain = estimate.Gain;
            rolling = $"over {policy.RollingFolds} rolling time folds ({estimate.Queries} cohort queries) the challenger's mean NDCG@10 gain is {estimate.Gain:+0.0000;-0.0000} (95% interval {estimate.Low:+0.0000;-0.0000} to {estimate.High:+0.0000;-0.0000}), {(estimate.Gain >= policy.Margin ? "at least" : "below")} the margin {policy.Margin}; on the single holdout {challengerMetrics["ndcg@10"]:0.0000} vs {championMetrics["ndcg@10"]:0.0000}";
        }

        var better = gain >= policy.Margin;
        var decision = better ? Promoted : policy.Force ? Forced : Kept;
        var field = results.Count > 1
            ? $"best of {results.Count} challengers ({string.Join(", ", results.Select(r => $"{r.Trained.Model.Provenance.Trainer} {r.Metrics["ndcg@10"]:0.0000}"))}): "
            : "";
        var reason = field + (policy.RollingFolds > 0
            ? $"challenger {challenger.Model.Provenance.Trainer}: " + rolling + (!better && policy.Force ? "; promoted anyway because --force was given" : "")
            : better
            ? $"challenger {challenger.Model.Provenance.Trainer} NDCG@10 {challengerMetrics["ndcg@10"]:0.0000} beats champion {championMetrics["ndcg@10"]:0.0000} by {gain:+0.0000;-0.0000} (margin {policy.Margin})"
            : $"challenger {challenger.Model.Provenance.Trainer} NDCG@10 {challengerMetrics["ndcg@10"]:0.0000} vs champion {championMetrics["ndcg@10"]:0.0000}: gain {gain:+0.0000;-0.0000} is below the margin {policy.Margin}"
              + (policy.Force ? "; promoted anyway because --force was given" : "")) + championNote
            + (failures.Count > 0 ? "; " + string.Join("; ", failures) : "");
        foreach (var (trained, metrics, _) in results)
        {
            var metricsToStore = new Dictionary<string, double>(metrics)
            {
                ["trainRows"] = trained.TrainRows,
                ["trainQueries"] = trained.TrainQueries,
                ["trees"] = trained.Model.Model.TreeCount,
                ["trainSeconds"] = trained.Duration.TotalSeconds,
            };
            await models.AddAsync(trained.Model.Version, trained.Model.Provenance.Trainer, PairFeatures.SchemaVersion, metricsToStore, trained.Model.ToArtifact(),
                trained.Model.Provenance.Library, trained.SourceModel, ct);
        }

        string? activated = null;
        if (decision is Promoted or Forced)
        {
            // What is activated is read back from the registry and validated, as every replica
            // will: an exported model must reproduce its library's scores there too.
            var artifact = await models.ArtifactAsync(challenger.Model.Version, ct) ?? throw new InvalidOperationException("The stored model vanished.");
            LearnedRankingModel.LoadValidated(artifact, challenger.Model.Version);
            await models.ActivateAsync(challenger.Model.Version, by, $"training run {id}: {decision}", ct);
            activated = challenger.Model.Version;
        }

        progress?.Report(new(TrainingStage.Reporting));
        var folder = Path.Combine(reportRoot, $"{started.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{id.ToString()[..8]}");
        var run = new TrainingRunRecord(id, started, clock.GetUtcNow(), history.From, history.AsOf, history.Cutoff,
            challenger.TrainRows, challenger.TrainQueries, holdout.Rows, holdout.QueryCount, parameters,
            challenger.Model.Version, champion.Version, challengerMetrics, championMetrics, decision, reason, Path.Combine(folder, "report.md"))
        {
            Challengers = [.. results.Select(r => new ChallengerResult(r.Trained.Model.Version, r.Trained.Model.Provenance.Trainer, r.Trained.Model.Provenance.Library,
                r.Metrics, r.Trained.Duration.TotalSeconds))],
        };
        WriteReport(folder, run, challenger, watch.Elapsed);
        await models.RecordRunAsync(run with { FinishedAt = clock.GetUtcNow() }, ct);
        return new TrainingOutcome(run, activated);
    }

    // Progress<T> posts to the thread pool, so rounds could arrive after later stages; this reports in order.
    private sealed class Relay<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private async Task<(IRankingModel Model, string Note)> ChampionAsync(CancellationToken ct)
    {
        if (await models.ActiveAsync(ct) is not { } active)
        {
            return (RuleBasedScorer.Instance, "; no learned model was active, so the champion is the rule-based baseline");
        }

        try
        {
            return (LearnedRankingModel.LoadValidated(active.Artifact, active.Version), "");
        }
        catch (InvalidDataException e)
        {
            return (RuleBasedScorer.Instance, $"; the active model {active.Version} could not be loaded ({e.Message}), so the champion is the rule-based baseline");
        }
    }

    private static Dictionary<string, double> Metrics(IRankingModel model, RankingDataset holdout)
    {
        var scores = new double[holdout.Rows];
        model.Score(holdout.Features, holdout.Rows, scores);
        var ndcg = holdout.QueryCount == 0 ? [0, 0, 0] : Ndcg.Mean(holdout, scores, [1, 5, 10]);
        return new Dictionary<string, double> { ["ndcg@1"] = ndcg[0], ["ndcg@5"] = ndcg[1], ["ndcg@10"] = ndcg[2], ["holdoutQueries"] = holdout.QueryCount };
    }

    private static void WriteReport(string folder, TrainingRunRecord run, TrainedModel challenger, TimeSpan duration)
    {
        Directory.CreateDirectory(folder);
        var model = challenger.Model.Model;
        File.WriteAllText(Path.Combine(folder, "iterations.svg"), Svg.Iterations(model.Iterations));
        var bars = new List<(string, double)>();
        foreach (var k in new[] { "ndcg@1", "ndcg@5", "ndcg@10" })
        {
            bars.Add(($"champion {k}", run.ChampionMetrics![k]));
            bars.Add(($"challenger {k}", run.ChallengerMetrics![k]));
        }

        File.WriteAllText(Path.Combine(folder, "champion-vs-challenger.svg"), Svg.Bars("Holdout NDCG, champion vs challenger", bars));
        var importance = EvaluationReport.Importance(model);
        File.WriteAllText(Path.Combine(folder, "importance.svg"), Svg.Importance(importance));

        var md = new StringBuilder();
        string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        md.AppendLine(CultureInfo.InvariantCulture, $"# Training run {run.Id}").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"**Decision: {run.Decision}.** {run.Reason}.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Data: matches from {run.DataFrom:u} to {run.DataTo:u}; holdout from {run.HoldoutFrom:u}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Training: {run.TrainRows} labeled matches in {run.TrainQueries} cohort queries (plus a validation period for early stopping); holdout {run.HoldoutRows} in {run.HoldoutQueries}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Challenger {run.ChallengerVersion} ({challenger.Model.Provenance.Trainer}, {challenger.Model.Provenance.Library}): {model.TreeCount} trees (best round {model.BestIteration}); champion {run.ChampionVersion}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Duration: {duration.TotalSeconds:0.0} s. Parameters: `{run.ParametersJson}`").AppendLine();
        md.AppendLine("| holdout metric | champion | challenger |").AppendLine("|---|---|---|");
        foreach (var k in new[] { "ndcg@1", "ndcg@5", "ndcg@10" })
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {k} | {F(run.ChampionMetrics![k])} | {F(run.ChallengerMetrics![k])} |");
        }

        md.AppendLine().AppendLine("| challenger | trainer | library | holdout NDCG@1 | NDCG@5 | NDCG@10 | train s |").AppendLine("|---|---|---|---|---|---|---|");
        foreach (var c in run.Challengers)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {c.Version} | {c.Trainer} | {c.Library} | {F(c.Metrics["ndcg@1"])} | {F(c.Metrics["ndcg@5"])} | {F(c.Metrics["ndcg@10"])} | {c.TrainSeconds:0.0} |");
        }

        md.AppendLine().AppendLine("| pillar | share of split gain |").AppendLine("|---|---|");
        foreach (var (g, share) in importance)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {g} | {share:P1} |");
        }

        md.AppendLine().AppendLine("![NDCG per iteration](iterations.svg)").AppendLine().AppendLine("![champion vs challenger](champion-vs-challenger.svg)")
            .AppendLine().AppendLine("![importance](importance.svg)");
        File.WriteAllText(Path.Combine(folder, "report.md"), md.ToString());
        File.WriteAllText(Path.Combine(folder, "run.json"), JsonSerializer.Serialize(run, new JsonSerializerOptions(DomainJson.Options) { WriteIndented = true }));
    }
}
