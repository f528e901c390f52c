using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Matching.Cli.Learning;
using Matching.Engine.Ranking;
using Matching.Training;
using Matching.Training.MlNet;
using Spectre.Console;

namespace Matching.Cli.Ltr;

/// <summary>
/// <c>matching ltr train|score|eval</c>: train a LambdaMART ranker on LETOR files (the engine's own,
/// or ML.NET's LightGBM or FastTree exported to the engine), score rows with it, and report its
/// NDCG. Bad input files are reported by file and line with exit code 1.
/// </summary>
internal static class LtrCommands
{
    /// <summary>NDCG cut-offs every command reports.</summary>
    private static readonly int[] ReportedCutoffs = [1, 3, 5, 10];

    public static Command Create(IAnsiConsole console)
    {
        var ltr = new Command("ltr", "Learning to rank: train, score and evaluate LambdaMART models on LETOR files.");
        ltr.Subcommands.Add(CreateTrain(console));
        ltr.Subcommands.Add(CreateScore(console));
        ltr.Subcommands.Add(CreateEval(console));
        return ltr;
    }

    private static Command CreateTrain(IAnsiConsole console)
    {
        var defaults = new LambdaMartOptions();
        var train = RequiredFile("--train", "Training rows (LETOR/SVMlight).");
        var trainQuery = RequiredFile("--train-query", "Group sizes of the training rows, one per line.");
        var valid = new Option<FileInfo>("--valid") { Description = "Validation rows, for metrics and early stopping." };
        var validQuery = new Option<FileInfo>("--valid-query") { Description = "Group sizes of the validation rows." };
        var model = new Option<FileInfo>("--model") { Description = "Where to write the model (JSON).", Required = true };
        var trees = WithDefault("--trees", "Boosting rounds.", defaults.Trees);
        var leaves = WithDefault("--leaves", "Maximum leaves per tree.", defaults.Leaves);
        var learningRate = WithDefault("--learning-rate", "Shrinkage of every leaf value.", defaults.LearningRate);
        var minLeafRows = WithDefault("--min-leaf-rows", "Minimum rows per leaf.", defaults.MinLeafRows);
        var minLeafHessian = WithDefault("--min-leaf-hessian", "Minimum sum of hessians per leaf.", defaults.MinLeafHessian);
        var l2 = WithDefault("--l2", "L2 regularisation of leaf values.", defaults.L2);
        var bagging = WithDefault("--bagging", "Fraction of rows drawn per tree.", defaults.BaggingFraction);
        var featureFraction = WithDefault("--feature-fraction", "Fraction of features drawn per tree.", defaults.FeatureFraction);
        var bins = WithDefault("--bins", "Maximum bins per feature (2-255).", defaults.MaxBins);
        var truncation = WithDefault("--ndcg-truncation", "LambdaRank truncation level k.", defaults.NdcgTruncation);
        var earlyStopping = WithDefault("--early-stopping", "Stop after this many rounds without validation NDCG@10 gain (0 = off).", defaults.EarlyStoppingRounds);
        var seed = WithDefault("--seed", "Random seed.", defaults.Seed);
        var threads = WithDefault("--threads", "Worker threads.", defaults.Threads);
        var trainer = TrainerOption.Create("Who fits the trees; ML.NET's are exported to the engine's model file and their zip is written beside it (<model>.mlnet.zip). --min-leaf-hessian and --ndcg-truncation apply to lambdamart only, --l2 and --early-stopping (on ML.NET's validation NDCG@5) to lambdamart and mlnet-lightgbm.", "lambdamart");

        var command = new Command("train", "Train a LambdaMART model and print validation NDCG@1,3,5,10 and the training time.")
        {
            train, trainQuery, valid, validQuery, model, trees, leaves, learningRate, minLeafRows, minLeafHessian,
            l2, bagging, featureFraction, bins, truncation, earlyStopping, seed, threads, trainer,
        };
        command.SetAction(parse => Run(console, () =>
        {
            var validFile = parse.GetValue(valid);
            var validQueryFile = parse.GetValue(validQuery);
            if ((validFile is null) != (validQueryFile is null))
            {
                throw new UsageException("--valid and --valid-query go together.");
            }

            var options = new LambdaMartOptions
            {
                Trees = parse.GetValue(trees),
                Leaves = parse.GetValue(leaves),
                LearningRate = parse.GetValue(learningRate),
                MinLeafRows = parse.GetValue(minLeafRows),
                MinLeafHessian = parse.GetValue(minLeafHessian),
                L2 = parse.GetValue(l2),
                BaggingFraction = parse.GetValue(bagging),
                FeatureFraction = parse.GetValue(featureFraction),
                MaxBins = parse.GetValue(bins),
                NdcgTruncation = parse.GetValue(truncation),
                EarlyStoppingRounds = parse.GetValue(earlyStopping),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                EvalAt = ReportedCutoffs,
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }

            var trainSet = Letor.Read(parse.GetRequiredValue(train).FullName, parse.GetRequiredValue(trainQuery).FullName);
            var validSet = validFile is null ? null : Letor.Read(validFile.FullName, validQueryFile!.FullName, trainSet.FeatureCount);

            var which = TrainerOption.Value(parse, trainer);
            var modelFile = parse.GetRequiredValue(model);
            var clock = Stopwatch.StartNew();
            LambdaMartModel trained;
            IReadOnlyList<double> ndcg;
            if (which == RankingTrainer.LambdaMart)
            {
                trained = LambdaMartTrainer.Train(trainSet, validSet, options);
                var last = trained.Iterations[trained.BestIteration - 1];
                ndcg = last.ValidNdcg ?? last.TrainNdcg;
            }
            else
            {
                var mlnet = new MlNetRankingOptions
                {
                    Trees = options.Trees,
                    Leaves = options.Leaves,
                    LearningRate = options.LearningRate,
                    MinLeafRows = options.MinLeafRows,
                    L2 = options.L2,
                    BaggingFraction = options.BaggingFraction,
                    FeatureFraction = options.FeatureFraction,
                    MaxBins = options.MaxBins,
                    EarlyStoppingRounds = options.EarlyStoppingRounds,
                    Seed = options.Seed,
                    Threads = options.Threads,
                    // 2^label − 1 for every label present, and at least five levels (FastTree's minimum).
                    Gains = [.. Enumerable.Range(0, 31).Select(g => (1 << g) - 1).Take(Math.Max(5, 1 + (int)trainSet.Labels.Max()))],
                };

                // LETOR rows are public data, so real rows serve as probes of the export.
                var probes = Enumerable.Range(0, Math.Min(256, trainSet.Rows)).Select(r => trainSet.Row(r * (trainSet.Rows / Math.Min(256, trainSet.Rows))).ToArray()).ToList();
                var fitted = MlNetRanker.Train(trainSet, validSet, which, mlnet, probes, r => r);
                trained = fitted.Trees;
                File.WriteAllBytes(MlNetZip(modelFile.FullName), fitted.Zip);
                var evaluated = validSet ?? trainSet;
                var scores = new double[evaluated.Rows];
                trained.Score(evaluated.Features, evaluated.Rows, scores);
                ndcg = Ndcg.Mean(evaluated, scores, ReportedCutoffs);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            trained.Save(modelFile.FullName);
            var table = NdcgTable(validSet is null ? "train" : "validation", ndcg);
            table.AddRow("trees", trained.TreeCount.ToString(CultureInfo.InvariantCulture));
            table.AddRow("training seconds", seconds.ToString("F2", CultureInfo.InvariantCulture));
            console.Write(table);
            console.MarkupLineInterpolated($"Model written to {modelFile.FullName}");
        }));
        return command;
    }

    private static Command CreateScore(IAnsiConsole console)
    {
        var model = RequiredFile("--model", "A model written by `ltr train`.");
        var data = RequiredFile("--data", "Rows to score (LETOR/SVMlight; labels and qid are ignored).");
        var output = new Option<FileInfo>("--out") { Description = "Where to write one score per line, in input order.", Required = true };
        var trainer = TrainerOption.Create("lambdamart scores with the model file (whoever trained it); mlnet-lightgbm or mlnet-fasttree with ML.NET's own zip beside it, through ML.NET's Transform.", "lambdamart");
        var command = new Command("score", "Score every row of a LETOR file; prints the scoring time per row.") { model, data, output, trainer };
        command.SetAction(parse => Run(console, () =>
        {
            var (rows, scores, seconds) = ScoreRows(parse, model, data, null, trainer);

            var outFile = parse.GetRequiredValue(output);
            using var writer = new StreamWriter(outFile.FullName);
            foreach (var score in scores)
            {
                // "R" keeps the exact double, so scores read back compare equal.
                writer.WriteLine(score.ToString("R", CultureInfo.InvariantCulture));
            }

            console.MarkupLineInterpolated($"{rows.Rows} scores written to {outFile.FullName} ({seconds * 1e9 / Math.Max(1, rows.Rows):0} ns per row)");
        }));
        return command;
    }

    private static Command CreateEval(IAnsiConsole console)
    {
        var model = RequiredFile("--model", "A model written by `ltr train`.");
        var data = RequiredFile("--data", "Labelled rows (LETOR/SVMlight).");
        var query = RequiredFile("--query", "Group sizes of the rows, one per line.");
        var trainer = TrainerOption.Create("lambdamart evaluates the model file (whoever trained it); mlnet-lightgbm or mlnet-fasttree ML.NET's own zip beside it.", "lambdamart");
        var command = new Command("eval", "Print a model's NDCG@1,3,5,10 on a labelled LETOR file.") { model, data, query, trainer };
        command.SetAction(parse => Run(console, () =>
        {
            var (rows, scores, _) = ScoreRows(parse, model, data, query, trainer);
            var gains = LambdaMartModel.Load(parse.GetRequiredValue(model).FullName).Options.LabelGains;
            console.Write(NdcgTable($"{rows.QueryCount} queries", Ndcg.Mean(rows, scores, ReportedCutoffs, gains)));
        }));
        return command;
    }

    /// <summary>Where <c>ltr train --trainer mlnet-…</c> writes ML.NET's zip: beside the model file.</summary>
    internal static string MlNetZip(string modelPath) => modelPath + ".mlnet.zip";

    private static (RankingDataset Rows, double[] Scores, double Seconds) ScoreRows(System.CommandLine.ParseResult parse, Option<FileInfo> model, Option<FileInfo> data, Option<FileInfo>? query, Option<string> trainer)
    {
        var modelPath = parse.GetRequiredValue(model).FullName;
        var ranker = LambdaMartModel.Load(modelPath);
        var rows = query is null
            ? Letor.Read(parse.GetRequiredValue(data).FullName, featureCount: ranker.FeatureCount)
            : Letor.Read(parse.GetRequiredValue(data).FullName, parse.GetRequiredValue(query).FullName, ranker.FeatureCount);
        var scores = new double[rows.Rows];
        var clock = Stopwatch.StartNew();
        if (TrainerOption.Value(parse, trainer) == RankingTrainer.LambdaMart)
        {
            ranker.Score(rows.Features, rows.Rows, scores);
        }
        else
        {
            var zip = MlNetZip(modelPath);
            if (!File.Exists(zip))
            {
                throw new UsageException($"No ML.NET model at {zip}; train with --trainer mlnet-lightgbm or mlnet-fasttree first.");
            }

            var list = Enumerable.Range(0, rows.Rows).Select(r => rows.Row(r).ToArray()).ToList();
            clock.Restart();
            MlNetRanker.Scores(File.ReadAllBytes(zip), list).CopyTo(scores, 0);
        }

        return (rows, scores, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Runs a command body, turning the failures a user can fix into one line on the console and exit code 1.</summary>
    private static int Run(IAnsiConsole console, Action body)
    {
        try
        {
            body();
            return 0;
        }
        catch (Exception e) when (e is LetorFormatException or InvalidDataException or UsageException
            or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }

    private static Table NdcgTable(string set, IReadOnlyList<double> ndcg)
    {
        var table = new Table().AddColumn("metric").AddColumn(new TableColumn($"value ({set})").RightAligned());
        for (var i = 0; i < ReportedCutoffs.Length; i++)
        {
            table.AddRow($"NDCG@{ReportedCutoffs[i]}", ndcg[i].ToString("F4", CultureInfo.InvariantCulture));
        }

        return table;
    }

    private static Option<FileInfo> RequiredFile(string name, string description)
        => new Option<FileInfo>(name) { Description = description, Required = true }.AcceptExistingOnly();

    private static Option<T> WithDefault<T>(string name, string description, T value)
        => new(name) { Description = description, DefaultValueFactory = _ => value };

    /// <summary>A command-line value the parser accepted but the command cannot use.</summary>
    private sealed class UsageException(string message) : Exception(message);
}
