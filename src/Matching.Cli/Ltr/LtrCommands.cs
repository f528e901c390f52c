using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Matching.Engine.Ranking;
using Spectre.Console;

namespace Matching.Cli.Ltr;

/// <summary>
/// <c>matching ltr train|score|eval</c>: train a LambdaMART ranker on LETOR files, score rows with
/// it, and report its NDCG. Bad input files are reported by file and line with exit code 1.
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

        var command = new Command("train", "Train a LambdaMART model and print validation NDCG@1,3,5,10 and the training time.")
        {
            train, trainQuery, valid, validQuery, model, trees, leaves, learningRate, minLeafRows, minLeafHessian,
            l2, bagging, featureFraction, bins, truncation, earlyStopping, seed, threads,
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

            var clock = Stopwatch.StartNew();
            var trained = LambdaMartTrainer.Train(trainSet, validSet, options);
            var seconds = clock.Elapsed.TotalSeconds;
            var modelFile = parse.GetRequiredValue(model);
            trained.Save(modelFile.FullName);

            var last = trained.Iterations[trained.BestIteration - 1];
            var table = NdcgTable(validSet is null ? "train" : "validation", last.ValidNdcg ?? last.TrainNdcg);
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
        var command = new Command("score", "Score every row of a LETOR file.") { model, data, output };
        command.SetAction(parse => Run(console, () =>
        {
            var ranker = LambdaMartModel.Load(parse.GetRequiredValue(model).FullName);
            var rows = Letor.Read(parse.GetRequiredValue(data).FullName, featureCount: ranker.FeatureCount);
            var scores = new double[rows.Rows];
            ranker.Score(rows.Features, rows.Rows, scores);

            var outFile = parse.GetRequiredValue(output);
            using var writer = new StreamWriter(outFile.FullName);
            foreach (var score in scores)
            {
                // "R" keeps the exact double, so scores read back compare equal.
                writer.WriteLine(score.ToString("R", CultureInfo.InvariantCulture));
            }

            console.MarkupLineInterpolated($"{rows.Rows} scores written to {outFile.FullName}");
        }));
        return command;
    }

    private static Command CreateEval(IAnsiConsole console)
    {
        var model = RequiredFile("--model", "A model written by `ltr train`.");
        var data = RequiredFile("--data", "Labelled rows (LETOR/SVMlight).");
        var query = RequiredFile("--query", "Group sizes of the rows, one per line.");
        var command = new Command("eval", "Print a model's NDCG@1,3,5,10 on a labelled LETOR file.") { model, data, query };
        command.SetAction(parse => Run(console, () =>
        {
            var ranker = LambdaMartModel.Load(parse.GetRequiredValue(model).FullName);
            var rows = Letor.Read(parse.GetRequiredValue(data).FullName, parse.GetRequiredValue(query).FullName, ranker.FeatureCount);
            var scores = new double[rows.Rows];
            ranker.Score(rows.Features, rows.Rows, scores);
            console.Write(NdcgTable($"{rows.QueryCount} queries", Ndcg.Mean(rows, scores, ReportedCutoffs, ranker.Options.LabelGains)));
        }));
        return command;
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
