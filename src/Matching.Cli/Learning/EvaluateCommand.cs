using System.CommandLine;
using Matching.Cli.Store;
using Matching.Data;
using Matching.Engine.Simulation;
using Matching.Training;
using Spectre.Console;

namespace Matching.Cli.Learning;

/// <summary>
/// <c>matching evaluate</c>: time-based holdout evaluation of the learned model against the
/// rule-based baseline, random order and (with a truth file) the oracle; writes JSON, Markdown and SVG.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var truth = new Option<FileInfo?>("--truth") { Description = "The simulator's truth file, for metrics against the true alliance." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Report folder.", DefaultValueFactory = _ => new DirectoryInfo("reports/evaluation") };
        var holdout = new Option<double>("--holdout") { Description = "Share of labeled matches, newest, held out.", DefaultValueFactory = _ => new TrainingSettings().HoldoutFraction };
        var model = new TrainingSettings().Model;
        var trees = new Option<int>("--trees") { Description = "Most boosting rounds.", DefaultValueFactory = _ => model.Trees };
        var leaves = new Option<int>("--leaves") { Description = "Leaves per tree.", DefaultValueFactory = _ => model.Leaves };
        var learningRate = new Option<double>("--learning-rate") { Description = "Shrinkage.", DefaultValueFactory = _ => model.LearningRate };
        var minLeafRows = new Option<int>("--min-leaf-rows") { Description = "Minimum rows per leaf.", DefaultValueFactory = _ => model.MinLeafRows };
        var earlyStopping = new Option<int>("--early-stopping") { Description = "Rounds without validation gain before stopping.", DefaultValueFactory = _ => model.EarlyStoppingRounds };
        var baseline = new Option<double>("--baseline-weight") { Description = "Weight of the rule-based prior the trees are boosted from (0 = from scratch).", DefaultValueFactory = _ => new TrainingSettings().BaselineWeight };
        var mlnetEarlyStopping = new Option<int>("--mlnet-early-stopping") { Description = "LightGBM (ML.NET): rounds without validation NDCG gain before stopping; 0 fits every round.", DefaultValueFactory = _ => new TrainingSettings().MlNet.EarlyStoppingRounds };
        var trainer = TrainerOption.Create("The trainer whose model the targets are checked on (every trainer is reported).", "lambdamart");
        var pricing = new TrainingSettings().Pricing;
        var priceStep = new Option<double>("--price-step") { Description = "Step of the capacity price update towards the window's solved prices, in (0, 1].", DefaultValueFactory = _ => pricing.Step };
        var priceOutside = new Option<double>("--price-outside-option") { Description = "Value of placing a client with no one, in score units below the window's lowest score.", DefaultValueFactory = _ => pricing.OutsideOption };
        var priceRefresh = new Option<double>("--price-refresh-hours") { Description = "Hours between two solves of the capacity prices.", DefaultValueFactory = _ => pricing.Refresh.TotalHours };
        var priceWeeks = new Option<int>("--price-window-weeks") { Description = "Past weeks whose requests forecast the rest of the week for the prices.", DefaultValueFactory = _ => pricing.WindowWeeks };
        var exposureBonus = new Option<double>("--exposure-bonus") { Description = "Exploration bonus (score units) of the + exposure policy: bonus / sqrt(1 + ratings).", DefaultValueFactory = _ => new TrainingSettings().ExplorationBonus };
        var database = new DatabaseOptionsBinding();
        var command = new Command("evaluate", "Train on the older history with every trainer, evaluate on the newer, and write a report.")
        {
            truth, output, holdout, trees, leaves, learningRate, minLeafRows, earlyStopping, baseline, mlnetEarlyStopping, trainer,
            priceStep, priceOutside, priceRefresh, priceWeeks, exposureBonus,
        };
        database.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            AllianceTruth? hidden = null;
            if (parse.GetValue(truth) is { } truthFile)
            {
                try
                {
                    await using var stream = truthFile.OpenRead();
                    hidden = SimulationTruth.Read(stream);
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    console.MarkupLineInterpolated($"[red]{truthFile.FullName}: {e.Message}[/]");
                    return 2;
                }
            }

            if (database.MissingSqliteFile(parse) is { } missing)
            {
                console.MarkupLineInterpolated($"[red]No database at {missing}.[/]");
                return 2;
            }

            await using var db = await database.OpenAsync(parse, ct);
            var evaluator = new Evaluator(new TherapistStore(db, TimeProvider.System), new ShortlistStore(db), new FeedbackStore(db), TimeProvider.System);
            EvaluationReport report;
            try
            {
                var settings = new TrainingSettings
                {
                    HoldoutFraction = parse.GetValue(holdout),
                    BaselineWeight = parse.GetValue(baseline),
                    MlNet = new TrainingSettings().MlNet with { EarlyStoppingRounds = parse.GetValue(mlnetEarlyStopping) },
                    ExplorationBonus = parse.GetValue(exposureBonus),
                    Pricing = pricing with
                    {
                        Step = parse.GetValue(priceStep),
                        OutsideOption = parse.GetValue(priceOutside),
                        Refresh = TimeSpan.FromHours(parse.GetValue(priceRefresh)),
                        WindowWeeks = parse.GetValue(priceWeeks),
                    },
                    Model = model with
                    {
                        Trees = parse.GetValue(trees),
                        Leaves = parse.GetValue(leaves),
                        LearningRate = parse.GetValue(learningRate),
                        MinLeafRows = parse.GetValue(minLeafRows),
                        EarlyStoppingRounds = parse.GetValue(earlyStopping),
                    },
                };
                report = await evaluator.RunAsync(settings, hidden,
                    new InlineProgress<string>(s => console.MarkupLineInterpolated($"[grey]{s}[/]")), ct, TrainerOption.Value(parse, trainer));
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                console.MarkupLineInterpolated($"[red]{e.Message}[/]");
                return 2;
            }

            var path = report.Write(parse.GetValue(output)!.FullName);
            Print(console, report);
            console.MarkupLineInterpolated($"Report: {path}");
            return report.Targets.All(t => t.Met) ? 0 : 4;
        });
        return command;
    }

    private static void Print(IAnsiConsole console, EvaluationReport report)
    {
        var observed = new Table().Title("Holdout, observed labels").AddColumns("policy", "NDCG@1", "NDCG@5", "NDCG@10");
        foreach (var o in report.Observed)
        {
            observed.AddRow(o.Policy, $"{o.Ndcg1:0.000}", $"{o.Ndcg5:0.000}", $"{o.Ndcg10:0.000}");
        }

        console.Write(observed);
        if (report.Truth is { } truth)
        {
            var table = new Table().Title("Against the true alliance (10 candidates per client)")
                .AddColumns("policy", "NDCG@10", "top-1", "top-5", "with capacity", "dropout", "dropout vs baseline (95%)", "places used", "most loaded", "load p10/p50/p90");
            foreach (var t in truth)
            {
                var vs = t.DropoutVsBaseline is { } d ? Markup.Escape($"{d.Estimate * 100:+0.00;-0.00;0.00} [{d.Low * 100:+0.00;-0.00;0.00}, {d.High * 100:+0.00;-0.00;0.00}] pt") : "";
                table.AddRow(Markup.Escape(t.Policy), $"{t.Ndcg10:0.000}", $"{t.Top1:0.000}", $"{t.Top5:0.000}", $"{t.Assigned:0.000}", $"{t.AssignedDropout:P2}", vs, $"{t.CapacityUsed:P1}", $"{t.MostLoaded:0.00}",
                    t.TherapistLoad is { } l ? $"{l.P10:0.00}/{l.P50:0.00}/{l.P90:0.00}" : "");
            }

            console.Write(table);
        }

        if (report.NewTherapists is { } fresh)
        {
            var table = new Table().Title("With a tenth of the therapists new (no track record)")
                .AddColumns("policy", "with capacity", "dropout", "new therapists' exposure vs established of the same fit (first 8 weeks)");
            foreach (var t in fresh)
            {
                table.AddRow(Markup.Escape(t.Policy), $"{t.Assigned:0.000}", $"{t.AssignedDropout:P2}", t.NewTherapistExposure is { } x ? $"{x:0.00}" : "");
            }

            console.Write(table);
        }

        var targets = new Table().Title("Targets").AddColumns("target", "measured", "met");
        foreach (var c in report.Targets)
        {
            targets.AddRow(Markup.Escape(c.Target), Markup.Escape(c.Measured), c.Met ? "[green]yes[/]" : "[red]no[/]");
        }

        console.Write(targets);
    }
}
