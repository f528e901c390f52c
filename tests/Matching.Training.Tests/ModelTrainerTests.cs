using System.Text.Json;
using Matching.Data;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Training.Tests;

public class ModelTrainerTests
{
    /// <summary>
    /// 40 therapists and 2,500 clients: about 800 labeled matches, trained in well under a second.
    /// With seed 8 the challenger beats the baseline by +0.031 holdout NDCG@10 (0.846 vs 0.816),
    /// far above the default margin of 0.002; training is deterministic, so this does not flicker.
    /// </summary>
    private static readonly SimulationOptions World = new() { Therapists = 40, Clients = 2500, Seed = 8 };

    private string _root = null!;
    private string _template = null!;
    private string _folder = null!;
    private ManualClock _clock = null!;
    private HistoryDatabase _db = null!;

    [OneTimeSetUp]
    public async Task WriteTheHistoryOnce()
    {
        _root = Path.Combine(Path.GetTempPath(), "matching-training-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _template = Path.Combine(_root, "template.db");
        await using var template = await HistoryDatabase.CreateAsync(_template, new ManualClock(), Simulator.Run(World));
    }

    [OneTimeTearDown]
    public void DeleteTheRoot() => Directory.Delete(_root, recursive: true);

    [SetUp]
    public void CopyTheHistory()
    {
        _folder = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _clock = new ManualClock();
        _db = HistoryDatabase.CopyOf(_template, Path.Combine(_folder, "matching.db"), _clock);
    }

    [TearDown]
    public async Task DeleteTheCopy()
    {
        await _db.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private string Reports => Path.Combine(_folder, "reports");

    /// <summary>The gate's own tests fit one challenger (the engine's); several trainers have tests of their own below.</summary>
    private static readonly TrainingSettings OneTrainer = new() { Trainers = [RankingTrainer.LambdaMart] };

    private Task<TrainingOutcome> TrainAsync(PromotionPolicy policy, HistoryDatabase? db = null, IProgress<TrainingProgress>? progress = null, TrainingSettings? settings = null) =>
        new ModelTrainer((db ?? _db).Feedback, (db ?? _db).Models, _clock).RunAsync(settings ?? OneTrainer, policy, Reports, "test", progress);

    [Test]
    public async Task Every_configured_trainer_fits_a_challenger_on_the_same_holdout_and_the_best_goes_to_the_gate()
    {
        var outcome = await TrainAsync(new PromotionPolicy(), settings: new TrainingSettings());

        var run = outcome.Run;
        Assert.That(run.Challengers.Select(c => c.Trainer), Is.EquivalentTo(new[] { "mlnet-lightgbm", "lambdamart" }));
        var best = run.Challengers[0];
        Assert.Multiple(() =>
        {
            Assert.That(run.Challengers.Select(c => c.Metrics["ndcg@10"]), Is.Ordered.Descending);
            Assert.That(run.ChallengerVersion, Is.EqualTo(best.Version));
            Assert.That(run.ChallengerMetrics!["ndcg@10"], Is.EqualTo(best.Metrics["ndcg@10"]));
            Assert.That(run.Challengers.Select(c => c.Metrics["holdoutQueries"]).Distinct().Count(), Is.EqualTo(1), "the same holdout");
            Assert.That(run.Challengers.Single(c => c.Trainer == "mlnet-lightgbm").Library, Does.StartWith("Microsoft.ML.LightGbm 5."));
            Assert.That(run.Challengers.Single(c => c.Trainer == "lambdamart").Library, Does.StartWith("Matching.Engine"));
            Assert.That(run.Reason, Does.StartWith("best of 2 challengers"));
        });

        var recorded = (await _db.Models.RunsAsync()).Single();
        Assert.That(recorded.Challengers, Has.Count.EqualTo(2));
        Assert.That(recorded.Challengers[0].Version, Is.EqualTo(best.Version));
        foreach (var c in run.Challengers)
        {
            var model = (await _db.Models.GetAsync(c.Version))!;
            Assert.That((model.Kind, model.Library, model.HasSourceModel), Is.EqualTo((c.Trainer, c.Library, c.Trainer != "lambdamart")));
        }

        var report = await File.ReadAllTextAsync(run.ReportPath!);
        Assert.That(report, Does.Contain("| " + run.Challengers[1].Version + " | " + run.Challengers[1].Trainer));
    }

    [Test]
    public async Task An_MlNet_challenger_is_stored_with_its_zip_and_served_from_its_exported_trees()
    {
        var outcome = await TrainAsync(new PromotionPolicy(Force: true), settings: new TrainingSettings { Trainers = [RankingTrainer.MlNetLightGbm] });

        var version = outcome.ActivatedVersion!;
        Assert.That(version, Does.StartWith("mlnet-lightgbm-"));
        var (active, artifact) = (await _db.Models.ActiveAsync())!.Value;
        var served = Engine.Learning.LearnedRankingModel.LoadValidated(artifact, active);
        var zip = await _db.Models.SourceModelAsync(version);
        Assert.That(zip, Is.Not.Null);

        // The zip the registry keeps is ML.NET's own model: it scores the probe rows as the served trees do.
        var probes = TrainingPipeline.ProbeRows();
        var theirs = Matching.Training.MlNet.MlNetRanker.Scores(zip!, [.. probes.Select(r => Engine.Learning.LearnedRankingModel.AppendPrior(r, 1))]);
        var ours = new double[1];
        for (var i = 0; i < probes.Count; i++)
        {
            served.Score(probes[i], 1, ours);
            Assert.That(ours[0], Is.EqualTo(theirs[i]).Within(Engine.Learning.LearnedRankingModel.ReferenceTolerance));
        }

        Assert.Multiple(() =>
        {
            Assert.That(served.Provenance.Trainer, Is.EqualTo("mlnet-lightgbm"));
            Assert.That(served.PriorFeature, Is.True);
            Assert.That(served.Reference!.Scores, Has.Count.EqualTo(probes.Count));
        });
    }

    private async Task<string> PromoteFirstModelAsync()
    {
        var first = await TrainAsync(new PromotionPolicy());
        Assert.That(first.Run.Decision, Is.EqualTo(ModelTrainer.Promoted), first.Run.Reason);
        _clock.Advance(TimeSpan.FromDays(1));
        return first.ActivatedVersion!;
    }

    [Test]
    public async Task The_first_run_promotes_the_challenger_over_the_rule_based_baseline()
    {
        var outcome = await TrainAsync(new PromotionPolicy());

        var run = outcome.Run;
        var version = TrainingPipeline.VersionAt(ManualClock.Start, run.Id);
        Assert.Multiple(() =>
        {
            Assert.That(outcome.Failed, Is.False);
            Assert.That(run.Decision, Is.EqualTo(ModelTrainer.Promoted), run.Reason);
            Assert.That(run.ChallengerVersion, Is.EqualTo(version));
            Assert.That(outcome.ActivatedVersion, Is.EqualTo(version));
            Assert.That(run.ChampionVersion, Is.EqualTo(RuleBasedScorer.VersionName));
            Assert.That(run.ChallengerMetrics!["ndcg@10"], Is.GreaterThanOrEqualTo(run.ChampionMetrics!["ndcg@10"] + 0.002));
            Assert.That(run.Reason, Does.Contain("beats champion").And.Contain("rule-based baseline"));
        });

        Assert.That(await _db.Models.ActiveVersionAsync(), Is.EqualTo(version));
        var model = await _db.Models.GetAsync(version);
        Assert.That(model, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(model!.Status, Is.EqualTo(ModelStatus.Active));
            Assert.That(model.Kind, Is.EqualTo("lambdamart"));
            Assert.That(model.FeatureSchema, Is.EqualTo(PairFeatures.SchemaVersion));
            Assert.That(model.ActivatedAt, Is.EqualTo(ManualClock.Start));
            Assert.That(model.Metrics["ndcg@10"], Is.EqualTo(run.ChallengerMetrics!["ndcg@10"]));
            Assert.That(model.Metrics["trainRows"], Is.EqualTo(run.TrainRows));
            Assert.That(model.Metrics["trees"], Is.Positive);
        });
        var activation = (await _db.Models.ActivationsAsync()).Single();
        Assert.That(activation, Is.EqualTo(new ModelActivation(version, ManualClock.Start, "test", $"training run {run.Id}: promoted")));
    }

    [Test]
    public async Task With_rolling_folds_the_decision_and_its_interval_come_from_the_folds()
    {
        var outcome = await TrainAsync(new PromotionPolicy(RollingFolds: 3));

        Assert.That(outcome.Run.Reason, Does.Contain("over 3 rolling time folds").And.Contain("95% interval"), outcome.Run.Reason);
        Assert.That(outcome.Run.Decision, Is.EqualTo(outcome.Run.Reason!.Contains("at least the margin", StringComparison.Ordinal) ? ModelTrainer.Promoted : ModelTrainer.Kept));
    }

    [Test]
    public async Task A_run_is_recorded_with_its_data_window_sizes_parameters_and_both_metrics()
    {
        var outcome = await TrainAsync(new PromotionPolicy());

        var recorded = (await _db.Models.RunsAsync()).Single();
        Assert.That(recorded.HoldoutFrom, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(recorded.Id, Is.EqualTo(outcome.Run.Id));
            Assert.That(recorded.StartedAt, Is.EqualTo(ManualClock.Start));
            Assert.That(recorded.DataFrom, Is.GreaterThanOrEqualTo(World.Epoch).And.LessThan(recorded.HoldoutFrom!.Value));
            Assert.That(recorded.HoldoutFrom, Is.LessThan(recorded.DataTo));
            Assert.That(recorded.DataTo, Is.EqualTo(ManualClock.Start), "all feedback known now");
            Assert.That(recorded.TrainRows, Is.GreaterThan(recorded.TrainQueries).And.EqualTo(outcome.Run.TrainRows));
            Assert.That(recorded.TrainQueries, Is.Positive);
            Assert.That(recorded.HoldoutRows, Is.GreaterThan(recorded.HoldoutQueries));
            Assert.That(recorded.HoldoutQueries, Is.Positive);
            Assert.That(recorded.ChallengerVersion, Is.EqualTo(outcome.Run.ChallengerVersion));
            Assert.That(recorded.ChampionVersion, Is.EqualTo(RuleBasedScorer.VersionName));
            Assert.That(recorded.ChallengerMetrics, Is.EquivalentTo(outcome.Run.ChallengerMetrics!));
            Assert.That(recorded.ChampionMetrics, Is.EquivalentTo(outcome.Run.ChampionMetrics!));
            Assert.That(recorded.ChallengerMetrics!.Keys, Is.SupersetOf(new[] { "ndcg@1", "ndcg@5", "ndcg@10", "holdoutQueries" }));
            Assert.That(recorded.ChallengerMetrics["holdoutQueries"], Is.EqualTo(recorded.HoldoutQueries));
            Assert.That(recorded.Decision, Is.EqualTo(ModelTrainer.Promoted));
            Assert.That(recorded.Reason, Is.EqualTo(outcome.Run.Reason));
        });

        using var parameters = JsonDocument.Parse(recorded.ParametersJson);
        var p = parameters.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(p.GetProperty("HoldoutFraction").GetDouble(), Is.EqualTo(0.2));
            Assert.That(p.GetProperty("Grouping").GetString(), Is.EqualTo("Cohort"));
            Assert.That(p.GetProperty("Margin").GetDouble(), Is.EqualTo(0.002));
            Assert.That(p.GetProperty("Force").GetBoolean(), Is.False);
            Assert.That(p.GetProperty("Model").GetProperty("Trees").GetInt32(), Is.EqualTo(300));
        });
    }

    [Test]
    public async Task A_run_writes_a_report_that_names_its_decision()
    {
        var outcome = await TrainAsync(new PromotionPolicy());

        var report = outcome.Run.ReportPath;
        Assert.That(report, Is.Not.Null.And.StartsWith(Reports));
        var folder = Path.GetDirectoryName(report)!;
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "report.md", "run.json", "iterations.svg", "champion-vs-challenger.svg", "importance.svg" }));
        var markdown = await File.ReadAllTextAsync(report!);
        Assert.That(markdown, Does.Contain("**Decision: promoted.**")
            .And.Contain(outcome.Run.ChallengerVersion!)
            .And.Contain($"holdout {outcome.Run.HoldoutRows} in {outcome.Run.HoldoutQueries}"));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "run.json")));
        Assert.That(json.RootElement.GetProperty("decision").GetString(), Is.EqualTo(ModelTrainer.Promoted));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(folder, "champion-vs-challenger.svg")), Does.StartWith("<svg"));
    }

    [Test]
    public async Task A_challenger_below_the_margin_is_stored_as_a_candidate_and_the_champion_keeps_serving()
    {
        var champion = await PromoteFirstModelAsync();

        var outcome = await TrainAsync(new PromotionPolicy(Margin: 1.0));

        var challenger = outcome.Run.ChallengerVersion!;
        Assert.Multiple(() =>
        {
            Assert.That(challenger, Is.Not.EqualTo(champion));
            Assert.That(outcome.Run.Decision, Is.EqualTo(ModelTrainer.Kept));
            Assert.That(outcome.ActivatedVersion, Is.Null);
            Assert.That(outcome.Run.ChampionVersion, Is.EqualTo(champion), "the learned champion, not the baseline");
            Assert.That(outcome.Run.Reason, Does.Contain("below the margin 1"));
        });
        Assert.That(await _db.Models.ActiveVersionAsync(), Is.EqualTo(champion));
        Assert.That((await _db.Models.ListAsync()).Select(m => (m.Version, m.Status)), Is.EquivalentTo(new[]
        {
            (champion, ModelStatus.Active),
            (challenger, ModelStatus.Candidate),
        }));
        Assert.That(await _db.Models.ActivationsAsync(), Has.Count.EqualTo(1));
        Assert.That(await File.ReadAllTextAsync(outcome.Run.ReportPath!), Does.Contain("**Decision: kept.**"));
    }

    [Test]
    public async Task Force_promotes_a_challenger_below_the_margin_and_records_it_as_forced()
    {
        var champion = await PromoteFirstModelAsync();

        var outcome = await TrainAsync(new PromotionPolicy(Margin: 1.0, Force: true));

        var challenger = outcome.Run.ChallengerVersion!;
        Assert.Multiple(() =>
        {
            Assert.That(outcome.Run.Decision, Is.EqualTo(ModelTrainer.Forced));
            Assert.That(outcome.ActivatedVersion, Is.EqualTo(challenger));
            Assert.That(outcome.Run.Reason, Does.Contain("promoted anyway"));
        });
        Assert.That(await _db.Models.ActiveVersionAsync(), Is.EqualTo(challenger));
        Assert.That((await _db.Models.ListAsync()).Select(m => (m.Version, m.Status)), Is.EquivalentTo(new[]
        {
            (champion, ModelStatus.Retired),
            (challenger, ModelStatus.Active),
        }));
        Assert.That((await _db.Models.ActivationsAsync())[0].Reason, Is.EqualTo($"training run {outcome.Run.Id}: forced"));
        Assert.That((await _db.Models.RunsAsync()).Select(r => r.Decision), Is.EqualTo(new[] { ModelTrainer.Forced, ModelTrainer.Promoted }));
    }

    [Test]
    public async Task An_active_model_that_cannot_be_loaded_is_replaced_by_the_baseline_as_champion()
    {
        await _db.Models.AddAsync("broken", "lambdamart", PairFeatures.SchemaVersion, new Dictionary<string, double>(), "{\"format\":\"matching.ranker\"");
        Assert.That(await _db.Models.ActivateAsync("broken", "another replica", "test"), Is.True);

        var outcome = await TrainAsync(new PromotionPolicy());

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Run.ChampionVersion, Is.EqualTo(RuleBasedScorer.VersionName));
            Assert.That(outcome.Run.Reason, Does.Contain("the active model broken could not be loaded"));
            Assert.That(outcome.Run.Decision, Is.EqualTo(ModelTrainer.Promoted));
        });
        Assert.That(await _db.Models.ActiveVersionAsync(), Is.EqualTo(outcome.Run.ChallengerVersion));
    }

    [Test]
    public async Task Too_little_data_is_a_recorded_failure_not_an_exception()
    {
        var folder = Path.Combine(_folder, "small");
        Directory.CreateDirectory(folder);
        await using var small = await HistoryDatabase.CreateAsync(Path.Combine(folder, "matching.db"), _clock,
            Simulator.Run(new SimulationOptions { Therapists = 10, Clients = 150, Seed = 3 }));

        var outcome = await TrainAsync(new PromotionPolicy(Force: true), small);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Failed, Is.True);
            Assert.That(outcome.Run.Decision, Is.EqualTo(ModelTrainer.Failed));
            Assert.That(outcome.Run.Reason, Does.Contain($"at least {TrainingPipeline.MinimumLabeledMatches} are needed"));
            Assert.That(outcome.ActivatedVersion, Is.Null);
            Assert.That(outcome.Run.ChallengerVersion, Is.Null);
            Assert.That(outcome.Run.ReportPath, Is.Null);
        });
        var recorded = (await small.Models.RunsAsync()).Single();
        Assert.Multiple(async () =>
        {
            Assert.That(recorded.Decision, Is.EqualTo(ModelTrainer.Failed));
            Assert.That(recorded.Reason, Is.EqualTo(outcome.Run.Reason));
            Assert.That(recorded.TrainRows, Is.Zero);
            Assert.That(recorded.ChallengerMetrics, Is.Null);
            Assert.That(await small.Models.ListAsync(), Is.Empty);
            Assert.That(await small.Models.ActiveVersionAsync(), Is.Null);
            Assert.That(Directory.Exists(Reports), Is.False);
        });
    }

    [Test]
    public async Task The_same_data_and_settings_give_the_same_challenger()
    {
        var copy = Path.Combine(_folder, "copy");
        Directory.CreateDirectory(copy);
        await using var other = HistoryDatabase.CopyOf(_template, Path.Combine(copy, "matching.db"), _clock);

        var first = await TrainAsync(new PromotionPolicy());
        var second = await TrainAsync(new PromotionPolicy(), other);

        Assert.Multiple(() =>
        {
            Assert.That(second.Run.ChallengerMetrics, Is.EquivalentTo(first.Run.ChallengerMetrics!));
            Assert.That(second.Run.ChampionMetrics, Is.EquivalentTo(first.Run.ChampionMetrics!));
            Assert.That(second.Run.TrainRows, Is.EqualTo(first.Run.TrainRows));
            Assert.That(second.Run.HoldoutFrom, Is.EqualTo(first.Run.HoldoutFrom));
        });
        // Versions differ (each names its run); everything else in the artifact is identical.
        var mine = System.Text.Json.Nodes.JsonNode.Parse((await _db.Models.ArtifactAsync(first.Run.ChallengerVersion!))!)!.AsObject();
        var theirs = System.Text.Json.Nodes.JsonNode.Parse((await other.Models.ArtifactAsync(second.Run.ChallengerVersion!))!)!.AsObject();
        Assert.That(second.Run.ChallengerVersion, Is.Not.EqualTo(first.Run.ChallengerVersion));
        mine.Remove("version");
        theirs.Remove("version");
        Assert.That(theirs.ToJsonString(), Is.EqualTo(mine.ToJsonString()), "byte for byte but the version");
    }

    [Test]
    public async Task Progress_reports_every_stage_in_order()
    {
        var stages = new StageLog();

        await TrainAsync(new PromotionPolicy(), progress: stages);

        Assert.That(stages.Seen.Select(p => p.Stage).Distinct(), Is.EqualTo(new[]
        {
            TrainingStage.Loading, TrainingStage.Training, TrainingStage.Evaluating, TrainingStage.Deciding, TrainingStage.Reporting,
        }));
    }

    /// <summary>Records progress synchronously (unlike <see cref="Progress{T}"/>, which posts), so the order is the order reported.</summary>
    private sealed class StageLog : IProgress<TrainingProgress>
    {
        private readonly List<TrainingProgress> _seen = [];

        public IReadOnlyList<TrainingProgress> Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        public void Report(TrainingProgress value)
        {
            lock (_seen)
            {
                _seen.Add(value);
            }
        }
    }
}
