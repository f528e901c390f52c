using System.Globalization;
using System.Text;
using Matching.Cli.Ltr;
using Matching.Engine.Ranking;

namespace Matching.Cli.Tests.Ltr;

public class LtrCommandsTests
{
    private string _dir = null!;

    [SetUp]
    public void WriteFiles()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"ltr-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        WriteLetor("train", queries: 30, seed: 1);
        WriteLetor("valid", queries: 10, seed: 2);
    }

    [TearDown]
    public void DeleteFiles() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Train_prints_validation_ndcg_and_time_and_writes_a_model()
    {
        var (code, output) = Run("ltr", "train",
            "--train", File("train"), "--train-query", File("train.query"),
            "--valid", File("valid"), "--valid-query", File("valid.query"),
            "--model", File("model.json"), "--trees", "20", "--leaves", "8", "--min-leaf-rows", "5", "--min-leaf-hessian", "0.5");

        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("NDCG@1").And.Contain("NDCG@3").And.Contain("NDCG@5").And.Contain("NDCG@10"));
        Assert.That(output, Does.Contain("training seconds").And.Contain("validation"));
        Assert.That(LambdaMartModel.Load(File("model.json")).TreeCount, Is.EqualTo(20));
    }

    [TestCase("mlnet-lightgbm")]
    [TestCase("mlnet-fasttree")]
    public void An_MlNet_trainer_writes_the_exported_model_and_its_zip_and_both_score_the_same(string trainer)
    {
        var (code, output) = Run("ltr", "train", "--trainer", trainer,
            "--train", File("train"), "--train-query", File("train.query"),
            "--valid", File("valid"), "--valid-query", File("valid.query"),
            "--model", File("model.json"), "--trees", "20", "--leaves", "8", "--min-leaf-rows", "5");
        Assert.That(code, Is.Zero, output);
        Assert.That(System.IO.File.Exists(File("model.json.mlnet.zip")), Is.True);

        var (exportedCode, exportedOutput) = Run("ltr", "score", "--model", File("model.json"), "--data", File("valid"), "--out", File("exported.txt"));
        var (ownCode, ownOutput) = Run("ltr", "score", "--trainer", trainer, "--model", File("model.json"), "--data", File("valid"), "--out", File("own.txt"));
        var (evalCode, evalOutput) = Run("ltr", "eval", "--trainer", trainer, "--model", File("model.json"), "--data", File("valid"), "--query", File("valid.query"));

        Assert.That((exportedCode, ownCode, evalCode), Is.EqualTo((0, 0, 0)), exportedOutput + ownOutput + evalOutput);
        var exported = System.IO.File.ReadAllLines(File("exported.txt")).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
        var own = System.IO.File.ReadAllLines(File("own.txt")).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
        Assert.That(exported, Has.Count.EqualTo(own.Count));
        for (var r = 0; r < own.Count; r++)
        {
            Assert.That(exported[r], Is.EqualTo(own[r]).Within(1e-5), $"row {r}");
        }

        Assert.That(LambdaMartModel.Load(File("model.json")).TreeCount, Is.EqualTo(20));
        Assert.That(evalOutput, Does.Contain("NDCG@10"));
    }

    [Test]
    public void Score_writes_one_round_trippable_score_per_row_in_order()
    {
        TrainModel();

        var (code, output) = Run("ltr", "score", "--model", File("model.json"), "--data", File("valid"), "--out", File("scores.txt"));

        Assert.That(code, Is.Zero, output);
        var model = LambdaMartModel.Load(File("model.json"));
        var data = Letor.Read(File("valid"), featureCount: model.FeatureCount);
        var lines = System.IO.File.ReadAllLines(File("scores.txt"));
        Assert.That(lines, Has.Length.EqualTo(data.Rows));
        for (var r = 0; r < data.Rows; r++)
        {
            Assert.That(double.Parse(lines[r], CultureInfo.InvariantCulture), Is.EqualTo(model.Score(data.Row(r))));
        }
    }

    [Test]
    public void Eval_prints_the_ndcg_of_the_model()
    {
        TrainModel();
        var model = LambdaMartModel.Load(File("model.json"));
        var data = Letor.Read(File("valid"), File("valid.query"), model.FeatureCount);
        var scores = new double[data.Rows];
        model.Score(data.Features, data.Rows, scores);

        var (code, output) = Run("ltr", "eval", "--model", File("model.json"), "--data", File("valid"), "--query", File("valid.query"));

        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain(Ndcg.Mean(data, scores, 10).ToString("F4", CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Bad_data_line_prints_file_and_line_without_a_stack_trace()
    {
        System.IO.File.WriteAllText(File("broken"), "1 1:0.5\n0 1:0.2 2:oops\n");
        System.IO.File.WriteAllText(File("broken.query"), "2\n");

        var (code, output) = Run("ltr", "train", "--train", File("broken"), "--train-query", File("broken.query"), "--model", File("m.json"));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Does.Contain($"{File("broken")}:2:").And.Contain("2:oops"));
        Assert.That(output, Does.Not.Contain(" at "));
    }

    [Test]
    public void Group_sizes_not_adding_up_are_reported()
    {
        System.IO.File.WriteAllText(File("short.query"), "5\n");

        var (code, output) = Run("ltr", "eval", "--model", TrainModel(), "--data", File("valid"), "--query", File("short.query"));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Does.Contain($"{File("short.query")}:1:").And.Contain("group sizes add up to 5"));
    }

    [Test]
    public void Corrupt_model_is_reported()
    {
        System.IO.File.WriteAllText(File("corrupt.json"), "{\"format\": \"matching.lambdamart\", \"formatVer");

        var (code, output) = Run("ltr", "score", "--model", File("corrupt.json"), "--data", File("valid"), "--out", File("s.txt"));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Does.Contain("corrupt.json").And.Contain("truncated or corrupt"));
    }

    [Test]
    public void Invalid_option_value_is_reported()
    {
        var (code, output) = Run("ltr", "train", "--train", File("train"), "--train-query", File("train.query"), "--model", File("m.json"), "--bins", "1000");

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Does.Contain("MaxBins"));
    }

    private string TrainModel()
    {
        var (code, output) = Run("ltr", "train", "--train", File("train"), "--train-query", File("train.query"),
            "--model", File("model.json"), "--trees", "10", "--leaves", "4", "--min-leaf-rows", "5", "--min-leaf-hessian", "0.5");
        Assert.That(code, Is.Zero, output);
        return File("model.json");
    }

    private static (int Code, string Output) Run(params string[] args) => CommandRunner.Run([LtrCommands.Create], args);

    private string File(string name) => Path.Combine(_dir, name);

    /// <summary>Rows whose label is x1 bucketed (x2 is noise), in queries of 12, with a query file.</summary>
    private void WriteLetor(string name, int queries, int seed)
    {
        var random = new Random(seed);
        var rows = new StringBuilder();
        var groups = new StringBuilder();
        for (var q = 0; q < queries; q++)
        {
            groups.Append("12\n");
            for (var d = 0; d < 12; d++)
            {
                var x1 = random.NextDouble();
                var x2 = random.NextDouble();
                var label = x1 > 0.7 ? 2 : x1 > 0.4 ? 1 : 0;
                rows.Append(CultureInfo.InvariantCulture, $"{label} qid:{q} 1:{x1:F4} 2:{x2:F4}\n");
            }
        }

        System.IO.File.WriteAllText(File(name), rows.ToString());
        System.IO.File.WriteAllText(File(name + ".query"), groups.ToString());
    }
}
