using System.CommandLine;
using Matching.Cli.Store;
using Matching.Data;
using Matching.Training;
using Spectre.Console;

namespace Matching.Cli.Learning;

/// <summary>
/// <c>matching train</c>: the nightly run. Trains a challenger with each trainer on the feedback
/// stored up to now, evaluates them and the active champion on the same time-based holdout,
/// promotes the best only when it is better by the margin (or with --force), records the run and
/// writes its report.
/// Exit codes: 0 promoted or kept, 1 the run failed.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var margin = new Option<double>("--margin") { Description = "Holdout NDCG@10 the challenger must gain over the champion.", DefaultValueFactory = _ => new PromotionPolicy().Margin };
        var rollingFolds = new Option<int>("--rolling-folds") { Description = "Decide on this many rolling time folds (a challenger per fold) with a 95% interval instead of the single holdout; 0 = the single holdout.", DefaultValueFactory = _ => 0 };
        var force = new Option<bool>("--force") { Description = "Promote the challenger whatever the holdout says (recorded as forced)." };
        var reports = new Option<DirectoryInfo>("--reports") { Description = "Folder for run reports.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("reports", "training")) };
        var trainers = new Option<string[]>("--trainer")
        {
            Description = $"A trainer to fit a challenger with; repeat for several. Default {string.Join(" and ", RankingTrainers.NightlyDefault.Select(RankingTrainers.Name))}. One of {string.Join(", ", RankingTrainers.Names)}.",
            DefaultValueFactory = _ => [.. RankingTrainers.NightlyDefault.Select(RankingTrainers.Name)],
            AllowMultipleArgumentsPerToken = true,
        };
        trainers.AcceptOnlyFromAmong([.. RankingTrainers.Names]);
        var database = new DatabaseOptionsBinding();
        var command = new Command("train", "Retrain from stored feedback; promote the best challenger only if it beats the active model.") { margin, force, reports, trainers, rollingFolds };
        database.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (database.MissingSqliteFile(parse) is { } missing)
            {
                console.MarkupLineInterpolated($"[red]No database at {missing}.[/]");
                return 2;
            }

            await using var db = await database.OpenAsync(parse, ct);
            var trainer = new ModelTrainer(new FeedbackStore(db), new ModelStore(db, TimeProvider.System), TimeProvider.System);
            var settings = new TrainingSettings { Trainers = [.. parse.GetValue(trainers)!.Select(t => RankingTrainers.Parse(t)!.Value)] };
            TrainingOutcome? outcome = null;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var stages = Enum.GetValues<TrainingStage>().ToDictionary(s => s, s => context.AddTask(Describe(s), autoStart: false, maxValue: s == TrainingStage.Training ? settings.Model.Trees : 1));
                    var progress = new InlineProgress<TrainingProgress>(p =>
                    {
                        foreach (var (stage, task) in stages)
                        {
                            if (stage < p.Stage)
                            {
                                task.Value = task.MaxValue;
                                task.StopTask();
                            }
                        }

                        var current = stages[p.Stage];
                        current.StartTask();
                        if (p.Stage == TrainingStage.Training)
                        {
                            current.Description = $"Train challenger ({p.Trainer})";
                            current.Value = p.Round;
                        }
                    });
                    outcome = await trainer.RunAsync(settings, new PromotionPolicy(parse.GetValue(margin), parse.GetValue(force), parse.GetValue(rollingFolds)),
                        parse.GetValue(reports)!.FullName, "matching train", progress, ct);
                    foreach (var task in stages.Values)
                    {
                        task.Value = task.MaxValue;
                        task.StopTask();
                    }
                });

            var run = outcome!.Run;
            var summary = new Table().Title($"Training run {run.Id}").AddColumns("", "");
            summary.AddRow("decision", run.Decision switch
            {
                ModelTrainer.Failed => "[red]failed[/]",
                ModelTrainer.Kept => "[yellow]kept the champion[/]",
                _ => $"[green]{run.Decision}[/]",
            });
            summary.AddRow("reason", Markup.Escape(run.Reason));
            if (run.Decision != ModelTrainer.Failed)
            {
                summary.AddRow("data", $"{run.DataFrom:u} to {run.DataTo:u} (holdout from {run.HoldoutFrom:u})");
                summary.AddRow("rows", $"train {run.TrainRows} in {run.TrainQueries} queries; holdout {run.HoldoutRows} in {run.HoldoutQueries}");
                foreach (var c in run.Challengers)
                {
                    summary.AddRow(c.Version == run.ChallengerVersion ? "challenger (best)" : "challenger", Markup.Escape($"{c.Version} ({c.Library}, {c.TrainSeconds:0.0} s): NDCG@1/5/10 {Ndcg(c.Metrics)}"));
                }

                summary.AddRow("champion", $"{run.ChampionVersion}: NDCG@1/5/10 {Ndcg(run.ChampionMetrics)}");
                summary.AddRow("serving", outcome.ActivatedVersion ?? $"{run.ChampionVersion} (unchanged)");
                summary.AddRow("report", Markup.Escape(run.ReportPath ?? ""));
            }

            summary.AddRow("duration", $"{(run.FinishedAt - run.StartedAt).TotalSeconds:0.0} s");
            console.Write(summary);
            return outcome.Failed ? 1 : 0;
        });
        return command;
    }

    private static string Describe(TrainingStage stage) => stage switch
    {
        TrainingStage.Loading => "Load labeled history",
        TrainingStage.Training => "Train challenger",
        TrainingStage.Evaluating => "Evaluate on holdout",
        TrainingStage.Deciding => "Promotion gate",
        _ => "Write report",
    };

    private static string Ndcg(IReadOnlyDictionary<string, double>? m) =>
        m is null ? "-" : $"{m["ndcg@1"]:0.000} / {m["ndcg@5"]:0.000} / {m["ndcg@10"]:0.000}";
}
