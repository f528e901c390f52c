using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Matching.Engine.Ranking;
using Matching.Training;
using Matching.Training.MlNet;

namespace Matching.Benchmarks;

/// <summary>
/// The C# side of <c>bench/compare-rankers.sh</c>:
/// <c>compare generate --out DIR</c> writes the synthetic set, and
/// <c>compare run --ltr DIR --synth DIR --xgb DIR</c> trains, times and scores our LambdaMART with
/// the same settings as bench/xgb_side.py, evaluates both sides' predictions with one NDCG
/// implementation and prints the side-by-side table.
/// </summary>
internal static class XgboostComparison
{
    private const int SyntheticQueries = 2000;
    private const int SyntheticTestQueries = 500;
    private const int DocsPerQuery = 100;
    private const int SyntheticFeatures = 80;
    private const int CandidateRows = 10_000;

    public static int Run(string[] args)
    {
        var options = ParseArgs(args.AsSpan(1));
        switch (args.FirstOrDefault())
        {
            case "generate":
                Generate(Required(options, "out"));
                return 0;
            case "run":
                Compare(Required(options, "ltr"), Required(options, "synth"), Required(options, "xgb"),
                    double.Parse(options.GetValueOrDefault("l2", "1"), CultureInfo.InvariantCulture),
                    int.Parse(options.GetValueOrDefault("seeds", "5"), CultureInfo.InvariantCulture));
                return 0;
            case "memory":
                Memory(int.Parse(options.GetValueOrDefault("rows", "1000000"), CultureInfo.InvariantCulture),
                    int.Parse(options.GetValueOrDefault("features", "100"), CultureInfo.InvariantCulture));
                return 0;
            case "score":
                ScoreOnly(Required(options, "model"), Required(options, "synth"));
                return 0;
            case "serve":
                Serve(Required(options, "db"));
                return 0;
            default:
                Console.Error.WriteLine("usage: compare generate --out DIR | compare run --ltr DIR --synth DIR --xgb DIR [--l2 1] [--seeds 5]");
                return 2;
        }
    }

    private static void Generate(string outDir)
    {
        Directory.CreateDirectory(outDir);
        var train = SyntheticRanking.Generate(SyntheticQueries, DocsPerQuery, SyntheticFeatures, seed: 1);
        var test = SyntheticRanking.Generate(SyntheticTestQueries, DocsPerQuery, SyntheticFeatures, seed: 2);
        SyntheticRanking.WriteLetor(train, Path.Combine(outDir, "synth.train"));
        SyntheticRanking.WriteLetor(test, Path.Combine(outDir, "synth.test"));

        // The scoring benchmark's candidates: the first test rows as raw little-endian float32.
        using (var file = File.Create(Path.Combine(outDir, "synth.candidates.f32")))
        {
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(test.Features.AsSpan(0, CandidateRows * SyntheticFeatures));
            file.Write(bytes);
        }

        File.WriteAllText(Path.Combine(outDir, "synth.candidates.json"),
            $$"""{"rows": {{CandidateRows}}, "features": {{SyntheticFeatures}}}""");
        Console.Error.WriteLine($"synthetic set written to {outDir}: {train.Rows} training rows, {test.Rows} test rows, {SyntheticFeatures} features");
    }

    private static void Compare(string ltrDir, string synthDir, string xgbDir, double l2, int seeds)
    {
        using var xgbDocument = JsonDocument.Parse(File.ReadAllText(Path.Combine(xgbDir, "xgb.json")));
        var xgb = xgbDocument.RootElement;
        var settings = new LambdaMartOptions { L2 = l2, EvalAt = [10] };

        // ltr-example: NDCG@10 on rank.test and training time, mean over seeds.
        var ltrTrain = Letor.Read(Path.Combine(ltrDir, "rank.train"), Path.Combine(ltrDir, "rank.train.query"));
        var ltrTest = Letor.Read(Path.Combine(ltrDir, "rank.test"), Path.Combine(ltrDir, "rank.test.query"), ltrTrain.FeatureCount);
        LambdaMartTrainer.Train(ltrTrain, ltrTest, settings with { Seed = 99 }); // warm-up (JIT), untimed, as on the XGBoost side
        double ourNdcg = 0, ourSeconds = 0, xgbNdcg = 0;
        for (var seed = 0; seed < seeds; seed++)
        {
            var clock = Stopwatch.StartNew();
            var model = LambdaMartTrainer.Train(ltrTrain, ltrTest, settings with { Seed = seed });
            ourSeconds += clock.Elapsed.TotalSeconds;
            ourNdcg += Ndcg.Mean(ltrTest, ScoreAll(model, ltrTest), 10);
            xgbNdcg += Ndcg.Mean(ltrTest, ReadPredictions(Path.Combine(xgbDir, $"xgb-ltr-seed{seed}.txt"), ltrTest.Rows), 10);
            Console.Error.WriteLine($"ours ltr-example seed {seed}: {clock.Elapsed.TotalSeconds:F2}s");
        }

        ourNdcg /= seeds;
        ourSeconds /= seeds;
        xgbNdcg /= seeds;
        var xgbLtrSeconds = xgb.GetProperty("ltr_train_seconds").EnumerateArray().Average(static e => e.GetDouble());

        // Synthetic set: one 300-tree run timed at 100 and 300 trees; NDCG@10 of the first 100.
        var synthTrain = Letor.Read(Path.Combine(synthDir, "synth.train"), Path.Combine(synthDir, "synth.train.query"));
        var synthTest = Letor.Read(Path.Combine(synthDir, "synth.test"), Path.Combine(synthDir, "synth.test.query"), synthTrain.FeatureCount);
        var synthClock = Stopwatch.StartNew();
        var at100 = 0.0;
        var big = LambdaMartTrainer.Train(synthTrain, synthTest, settings with { Trees = 300 },
            new InlineProgress(m => { if (m.Iteration == 100) { at100 = synthClock.Elapsed.TotalSeconds; } }));
        var at300 = synthClock.Elapsed.TotalSeconds;
        var ourSynthNdcg = big.Iterations[99].ValidNdcg![0];
        var xgbSynthNdcg = Ndcg.Mean(synthTest, ReadPredictions(Path.Combine(xgbDir, "xgb-synth-100.txt"), synthTest.Rows), 10);
        Console.Error.WriteLine($"ours synthetic: 100 trees {at100:F2}s, 300 trees {at300:F2}s");

        // Scoring: the same candidate matrix, the 300-tree models, one thread.
        var (candidates, rows) = ReadCandidates(synthDir);
        var scores = new double[rows];
        var ourScoreSeconds = BestTime(() => big.Score(candidates, rows, scores));
        var ourVisits = big.CountNodeVisits(candidates, rows);
        var xgbScoreSeconds = Math.Min(xgb.GetProperty("score_seconds_inplace").GetDouble(), xgb.GetProperty("score_seconds_dmatrix").GetDouble());
        var xgbVisits = xgb.GetProperty("score_node_visits").GetInt64();

        var table = new ComparisonTable();
        table.Row($"NDCG@10 rank.test (mean of {seeds} seeds)", ourNdcg, xgbNdcg, "F4", higherIsBetter: true);
        table.Row("NDCG@10 synthetic test (100 trees)", ourSynthNdcg, xgbSynthNdcg, "F4", higherIsBetter: true);
        table.Row($"train s, ltr-example, 100 trees (mean of {seeds})", ourSeconds, xgbLtrSeconds, "F3", higherIsBetter: false);
        table.Row($"train s, synthetic {synthTrain.Rows}x{synthTrain.FeatureCount}, 100 trees", at100, xgb.GetProperty("synth_train_seconds_100").GetDouble(), "F2", higherIsBetter: false);
        table.Row("train s, synthetic, 300 trees", at300, xgb.GetProperty("synth_train_seconds_300").GetDouble(), "F2", higherIsBetter: false);
        table.Row($"score ns/candidate (300 trees, {rows} rows)", ourScoreSeconds * 1e9 / rows, xgbScoreSeconds * 1e9 / rows, "F1", higherIsBetter: false);
        table.Row("score ns/node visit", ourScoreSeconds * 1e9 / ourVisits, xgbScoreSeconds * 1e9 / xgbVisits, "F2", higherIsBetter: false);
        table.Row("node visits per candidate", ourVisits / (double)rows, xgbVisits / (double)rows, "F0", higherIsBetter: false);

        Console.WriteLine();
        Console.WriteLine($"LambdaMART (Matching.Engine) vs XGBoost {xgb.GetProperty("xgboost_version").GetString()} — 1 thread each, lambda {l2.ToString(CultureInfo.InvariantCulture)}");
        table.Print();
        MlNetRows(ltrTrain, ltrTest, synthTrain, synthTest, candidates, rows, seeds, l2, ourNdcg, ourSynthNdcg, ourSeconds, at100, ourScoreSeconds, big.TreeCount,
            xgbNdcg, xgbSynthNdcg, xgbLtrSeconds, xgb.GetProperty("synth_train_seconds_100").GetDouble(), xgbScoreSeconds);

        Console.WriteLine();
        Console.WriteLine("Targets:");
        Target($"NDCG@10 on rank.test >= XGBoost ({ourNdcg:F4} vs {xgbNdcg:F4})", ourNdcg >= xgbNdcg);
        Target($"training no slower on ltr-example ({ourSeconds:F3}s vs {xgbLtrSeconds:F3}s)", ourSeconds <= xgbLtrSeconds);
        Target($"training no slower on synthetic ({at100:F2}s vs {xgb.GetProperty("synth_train_seconds_100").GetDouble():F2}s)", at100 <= xgb.GetProperty("synth_train_seconds_100").GetDouble());
        Target($"scoring >= 2x faster than XGBoost ({xgbScoreSeconds / ourScoreSeconds:F2}x)", xgbScoreSeconds / ourScoreSeconds >= 2);
        Target($"scoring <= 3 ns per node visit ({ourScoreSeconds * 1e9 / ourVisits:F2} ns)", ourScoreSeconds * 1e9 / ourVisits <= 3);
    }

    /// <summary>
    /// ML.NET's LightGBM and FastTree on the same sets with the same settings (one thread), their
    /// exported trees scored by the engine and by ML.NET's own Transform, next to the engine's
    /// LambdaMART and XGBoost: one table, times also as ratios to the engine's own in this run.
    /// </summary>
    private static void MlNetRows(RankingDataset ltrTrain, RankingDataset ltrTest, RankingDataset synthTrain, RankingDataset synthTest,
        float[] candidates, int rows, int seeds, double l2, double ourNdcg, double ourSynthNdcg, double ourSeconds, double ourSynth100, double ourScoreSeconds, int ourTrees,
        double xgbNdcg, double xgbSynthNdcg, double xgbLtrSeconds, double xgbSynth100, double xgbScoreSeconds)
    {
        var defaults = new LambdaMartOptions();
        var results = new List<string[]>
        {
            new[] { "system", "NDCG@10 ltr-example", "NDCG@10 synthetic", "train s ltr-example", "train s synthetic (100 trees)", "score ns/candidate (300 trees)" },
            new[] { "engine LambdaMART", F(ourNdcg, "F4"), F(ourSynthNdcg, "F4"), Ratio(ourSeconds, ourSeconds), Ratio(ourSynth100, ourSynth100), Ratio(ourScoreSeconds * 1e9 / rows, ourScoreSeconds * 1e9 / rows, "F0") },
            new[] { "XGBoost", F(xgbNdcg, "F4"), F(xgbSynthNdcg, "F4"), Ratio(xgbLtrSeconds, ourSeconds), Ratio(xgbSynth100, ourSynth100), Ratio(xgbScoreSeconds * 1e9 / rows, ourScoreSeconds * 1e9 / rows, "F0") },
        };
        foreach (var trainer in new[] { RankingTrainer.MlNetLightGbm, RankingTrainer.MlNetFastTree })
        {
            var options = new MlNetRankingOptions
            {
                Trees = defaults.Trees,
                Leaves = defaults.Leaves,
                LearningRate = defaults.LearningRate,
                MinLeafRows = defaults.MinLeafRows,
                L2 = l2,
                BaggingFraction = defaults.BaggingFraction,
                FeatureFraction = defaults.FeatureFraction,
                MaxBins = defaults.MaxBins,
                EarlyStoppingRounds = 0,
                Gains = [0, 1, 3, 7, 15, 31],
                Threads = 1,
            };
            var ltrProbes = Enumerable.Range(0, 64).Select(r => ltrTest.Row(r * (ltrTest.Rows / 64)).ToArray()).ToList();
            double ndcg = 0, seconds = 0;
            for (var seed = 0; seed < seeds; seed++)
            {
                var clock = Stopwatch.StartNew();
                var model = MlNetRanker.Train(ltrTrain, null, trainer, options with { Seed = seed + 1 }, ltrProbes, r => r);
                seconds += clock.Elapsed.TotalSeconds;
                ndcg += Ndcg.Mean(ltrTest, ScoreAll(model.Trees, ltrTest), 10);
            }

            var synthProbes = Enumerable.Range(0, 64).Select(r => synthTest.Row(r * 100).ToArray()).ToList();
            var synthClock = Stopwatch.StartNew();
            var synth = MlNetRanker.Train(synthTrain, null, trainer, options, synthProbes, r => r);
            var synthSeconds = synthClock.Elapsed.TotalSeconds;
            var synthNdcg = Ndcg.Mean(synthTest, ScoreAll(synth.Trees, synthTest), 10);

            // Scoring: a 300-tree model on the same candidates, the export through the engine and ML.NET's own Transform.
            var big = MlNetRanker.Train(synthTrain, null, trainer, options with { Trees = ourTrees }, synthProbes, r => r);
            var scores = new double[rows];
            var exported = BestTime(() => big.Trees.Score(candidates, rows, scores)) * 1e9 / rows;
            var list = Enumerable.Range(0, rows).Select(r => candidates.AsSpan(r * synthTrain.FeatureCount, synthTrain.FeatureCount).ToArray()).ToList();
            var own = TimeOnce(() => MlNetRanker.Scores(big.Zip, list)) * 1e9 / rows;
            var name = RankingTrainers.Name(trainer);
            results.Add([$"{name} ({big.Library})", F(ndcg / seeds, "F4"), F(synthNdcg, "F4"), Ratio(seconds / seeds, ourSeconds), Ratio(synthSeconds, ourSynth100),
                $"{exported:F0} exported / {own:F0} Transform"]);
            Console.Error.WriteLine($"{name}: ltr-example {seconds / seeds:F2}s, synthetic {synthSeconds:F2}s (ML.NET fit {synth.FitTime.TotalSeconds:F2}s)");
        }

        Console.WriteLine();
        Console.WriteLine("Every trainer, same settings (100 trees, 31 leaves, rate 0.1, 20 rows per leaf, bagging 0.9, gains 2^label-1), one thread; times as seconds (ratio to the engine's LambdaMART in this run)");
        foreach (var (row, i) in results.Select((r, i) => (r, i)))
        {
            Console.WriteLine("| " + string.Join(" | ", row) + " |");
            if (i == 0)
            {
                Console.WriteLine("|" + string.Concat(Enumerable.Repeat("---|", row.Length)));
            }
        }

        static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
        static string Ratio(double v, double anchor, string format = "F2") => $"{v.ToString(format, CultureInfo.InvariantCulture)} ({(v / anchor).ToString("F2", CultureInfo.InvariantCulture)}x)";
    }

    private static double TimeOnce(Action action)
    {
        action();
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return best;
    }

    /// <summary>
    /// Peak memory of training on rows × features generated in memory (the raw float matrix
    /// included), to check the 1 GiB budget for 1M × 100.
    /// </summary>
    private static void Memory(int rows, int features)
    {
        var data = SyntheticRanking.Generate(rows / DocsPerQuery, DocsPerQuery, features, seed: 1);
        var afterData = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
        var clock = Stopwatch.StartNew();
        var model = LambdaMartTrainer.Train(data, null, new LambdaMartOptions { Trees = 3 });
        var process = System.Diagnostics.Process.GetCurrentProcess();
        Console.WriteLine($"{data.Rows} x {features}: raw features {data.Features.Length * 4L / (1 << 20)} MiB; peak working set "
            + $"{afterData / (1 << 20)} MiB after generating, {process.PeakWorkingSet64 / (1 << 20)} MiB after training {model.TreeCount} trees "
            + $"({clock.Elapsed.TotalSeconds:F1}s)");
    }

    /// <summary>
    /// The served path of every model in a registry (after <c>matching train</c> fitted several
    /// trainers on one history): ns per candidate of <see cref="Engine.Learning.LearnedRankingModel"/>'s
    /// Score and ScoreCandidates (keep 10 of 50) on the history's logged feature rows, with ratios
    /// to the engine's own LambdaMART measured in the same process.
    /// </summary>
    private static void Serve(string dbFile)
    {
        var db = new Matching.Data.MatchingDatabase(new Matching.Data.DatabaseOptions { Engine = Matching.Data.DatabaseEngine.Sqlite, ConnectionString = $"Data Source={dbFile}" });
        var store = new Matching.Data.ModelStore(db, TimeProvider.System);
        var feedback = new Matching.Data.FeedbackStore(db);
        var pairs = feedback.LabeledPairsAsync(DateTimeOffset.UtcNow).GetAwaiter().GetResult();
        const int Rows = 50 * 400;
        var features = pairs.Take(Rows).SelectMany(p => p.Features).ToArray();
        var rows = features.Length / Engine.Matching.PairFeatures.Count;
        var results = new List<(string Name, int Trees, double Score, double TopK)>();
        foreach (var record in store.ListAsync().GetAwaiter().GetResult())
        {
            var model = Engine.Learning.LearnedRankingModel.LoadValidated(store.ArtifactAsync(record.Version).GetAwaiter().GetResult()!, record.Version);
            var scores = new double[rows];
            var score = BestTime(() => model.Score(features, rows, scores)) * 1e9 / rows;
            var survivors = new int[50];
            var block = new double[50];
            var topK = BestTime(() =>
            {
                for (var q = 0; q + 50 <= rows; q += 50)
                {
                    model.ScoreCandidates(features.AsSpan(q * Engine.Matching.PairFeatures.Count, 50 * Engine.Matching.PairFeatures.Count), 50, 10, block, survivors);
                }
            }) * 1e9 / rows;
            var inputs = model.PriorFeature ? Engine.Learning.LearnedRankingModel.AppendPrior(features, rows) : features;
            var treesOnly = BestTime(() => model.Model.Score(inputs, rows, scores)) * 1e9 / rows;
            Console.Error.WriteLine($"{record.Version}: trees alone {treesOnly:F0} ns/candidate");
            results.Add(($"{record.Kind} ({record.Library})", model.Model.TreeCount, score, topK));
        }

        var anchor = results.FirstOrDefault(r => r.Name.StartsWith("lambdamart", StringComparison.Ordinal));
        Console.WriteLine($"| model | trees | Score ns/candidate | ScoreCandidates (10 of 50) ns/candidate |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var r in results)
        {
            Console.WriteLine($"| {r.Name} | {r.Trees} | {r.Score:F0} ({r.Score / anchor.Score:F2}x) | {r.TopK:F0} ({r.TopK / anchor.TopK:F2}x) |");
        }
    }

    /// <summary>Times a saved model on the synthetic candidates (for iterating on the scorer).</summary>
    private static void ScoreOnly(string modelPath, string synthDir)
    {
        var model = LambdaMartModel.Load(modelPath);
        var (candidates, rows) = ReadCandidates(synthDir);
        var scores = new double[rows];
        var seconds = BestTime(() => model.Score(candidates, rows, scores));
        var visits = model.CountNodeVisits(candidates, rows);
        Console.WriteLine($"{model.TreeCount} trees, {rows} rows: {seconds * 1e9 / rows:F1} ns/candidate, {seconds * 1e9 / visits:F2} ns/node visit, checksum {scores.Sum():R}");
    }

    private static (float[] Candidates, int Rows) ReadCandidates(string synthDir)
    {
        using var metaDocument = JsonDocument.Parse(File.ReadAllText(Path.Combine(synthDir, "synth.candidates.json")));
        var rows = metaDocument.RootElement.GetProperty("rows").GetInt32();
        var features = metaDocument.RootElement.GetProperty("features").GetInt32();
        var candidates = new float[rows * features];
        using var file = File.OpenRead(Path.Combine(synthDir, "synth.candidates.f32"));
        file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(candidates.AsSpan()));
        return (candidates, rows);
    }

    private static void Target(string description, bool met)
        => Console.WriteLine($"  [{(met ? "met " : "MISSED")}] {description}");

    private static double[] ScoreAll(LambdaMartModel model, RankingDataset data)
    {
        var scores = new double[data.Rows];
        model.Score(data.Features, data.Rows, scores);
        return scores;
    }

    private static double[] ReadPredictions(string path, int rows)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length != rows)
        {
            throw new InvalidDataException($"{path} has {lines.Length} predictions, expected {rows}.");
        }

        return Array.ConvertAll(lines, static l => double.Parse(l, CultureInfo.InvariantCulture));
    }

    /// <summary>Best per-call seconds over five batches, each at least 0.2 s long.</summary>
    private static double BestTime(Action action)
    {
        action();
        var calls = 1;
        double elapsed;
        while (true)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                action();
            }

            elapsed = clock.Elapsed.TotalSeconds;
            if (elapsed >= 0.2)
            {
                break;
            }

            calls *= 2;
        }

        var best = elapsed / calls;
        for (var batch = 1; batch < 5; batch++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                action();
            }

            best = Math.Min(best, clock.Elapsed.TotalSeconds / calls);
        }

        return best;
    }

    private static Dictionary<string, string> ParseArgs(ReadOnlySpan<string> args)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            result[args[i].TrimStart('-')] = args[i + 1];
        }

        return result;
    }

    private static string Required(Dictionary<string, string> options, string name)
        => options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");

    /// <summary>Runs the callback on the training thread, unlike <see cref="Progress{T}"/> which posts to the thread pool.</summary>
    private sealed class InlineProgress(Action<IterationMetrics> report) : IProgress<IterationMetrics>
    {
        public void Report(IterationMetrics value) => report(value);
    }

    private sealed class ComparisonTable
    {
        private readonly List<string[]> _rows = [["metric", "ours", "XGBoost", "ours/XGBoost", "better"]];

        public void Row(string metric, double ours, double xgb, string format, bool higherIsBetter)
        {
            var better = ours == xgb ? "tie" : (ours > xgb) == higherIsBetter ? "ours" : "XGBoost";
            _rows.Add([metric, ours.ToString(format, CultureInfo.InvariantCulture), xgb.ToString(format, CultureInfo.InvariantCulture),
                (ours / xgb).ToString("F2", CultureInfo.InvariantCulture), better]);
        }

        public void Print()
        {
            var widths = new int[_rows[0].Length];
            foreach (var row in _rows)
            {
                for (var c = 0; c < row.Length; c++)
                {
                    widths[c] = Math.Max(widths[c], row[c].Length);
                }
            }

            for (var r = 0; r < _rows.Count; r++)
            {
                var cells = _rows[r].Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]));
                Console.WriteLine("| " + string.Join(" | ", cells) + " |");
                if (r == 0)
                {
                    Console.WriteLine("|" + string.Join("|", widths.Select((w, c) => c == 0 ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
                }
            }
        }
    }
}
