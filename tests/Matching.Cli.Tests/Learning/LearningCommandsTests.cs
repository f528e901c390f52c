using System.Text.Json.Nodes;
using Matching.Cli.Learning;
using Matching.Cli.Store;

namespace Matching.Cli.Tests.Learning;

/// <summary>The data team's commands end to end on a real SQLite file: schema, simulate, evaluate, train.</summary>
public sealed class LearningCommandsTests
{
    private string _dir = null!;

    [SetUp]
    public void NewFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"matching-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteFolder()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string Db => $"Data Source={Path.Combine(_dir, "m.db")}";

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Test]
    public void Db_status_lists_pending_migrations_until_db_migrate_applies_them()
    {
        var missing = Run("db", "status", "--connection", Db);
        File.WriteAllBytes(PathOf("m.db"), []); // an empty file is an empty SQLite database
        var before = Run("db", "status", "--connection", Db);
        var migrate = Run("db", "migrate", "--connection", Db);
        var after = Run("db", "status", "--connection", Db);
        var again = Run("db", "migrate", "--connection", Db);

        Assert.Multiple(() =>
        {
            Assert.That(missing.Code, Is.EqualTo(2), missing.Output);
            Assert.That(missing.Output, Does.Contain("No database at"));
            Assert.That(before.Code, Is.EqualTo(3), before.Output);
            Assert.That(before.Output, Does.Contain("0001_initial.sql").And.Contain("pending"));
            Assert.That(migrate.Code, Is.Zero, migrate.Output);
            Assert.That(migrate.Output, Does.Contain("applied 1").And.Contain("applied 2"));
            Assert.That(after.Code, Is.Zero);
            Assert.That(after.Output, Does.Not.Contain("pending"));
            Assert.That(again.Output, Does.Contain("0 migration(s) applied"));
        });
    }

    [Test]
    public void Simulate_writes_the_history_and_the_truth_and_refuses_a_database_that_has_data()
    {
        var first = Run("simulate", "--therapists", "30", "--clients", "600", "--seed", "3", "--connection", Db, "--truth", PathOf("truth.json"));
        var second = Run("simulate", "--therapists", "30", "--clients", "600", "--seed", "4", "--connection", Db, "--truth", PathOf("truth2.json"));
        var invalid = Run("simulate", "--therapists", "0", "--connection", $"Data Source={PathOf("other.db")}", "--truth", PathOf("truth3.json"));

        Assert.Multiple(() =>
        {
            Assert.That(first.Code, Is.Zero, first.Output);
            Assert.That(first.Output, Does.Contain("30 therapists").And.Contain("shortlists").And.Contain("alliance ratings"));
            Assert.That(File.Exists(PathOf("truth.json")), Is.True);
            Assert.That(second.Code, Is.EqualTo(2));
            Assert.That(second.Output, Does.Contain("already holds"));
            Assert.That(File.Exists(PathOf("truth2.json")), Is.False, "nothing written on refusal");
            Assert.That(invalid.Code, Is.EqualTo(2), invalid.Output);
        });
    }

    [Test]
    public void Train_promotes_over_the_baseline_then_keeps_the_champion_when_the_challenger_is_not_better()
    {
        Assert.That(Run("simulate", "--therapists", "40", "--clients", "2500", "--seed", "8", "--connection", Db, "--truth", PathOf("truth.json")).Code, Is.Zero);

        var first = Run("train", "--connection", Db, "--reports", PathOf("runs"));
        var second = Run("train", "--connection", Db, "--reports", PathOf("runs"), "--margin", "1");
        var forced = Run("train", "--connection", Db, "--reports", PathOf("runs"), "--margin", "1", "--force");

        Assert.Multiple(() =>
        {
            Assert.That(first.Code, Is.Zero, first.Output);
            Assert.That(first.Output, Does.Contain("promoted").And.Contain("champion").And.Contain("rule-based/1"));
            Assert.That(second.Code, Is.Zero, second.Output);
            Assert.That(second.Output, Does.Contain("kept the champion").And.Contain("below the margin"));
            Assert.That(forced.Output, Does.Contain("forced").And.Contain("--force"));
            Assert.That(Directory.GetDirectories(PathOf("runs")), Has.Length.EqualTo(3));
            Assert.That(Directory.GetDirectories(PathOf("runs")).Select(d => File.Exists(Path.Combine(d, "report.md"))), Is.All.True);
        });
    }

    [Test]
    public void Train_refuses_a_database_that_does_not_exist_and_fails_with_exit_code_one_on_one_without_history()
    {
        var missing = Run("train", "--connection", Db, "--reports", PathOf("runs"));
        Assert.That(Run("db", "migrate", "--connection", Db).Code, Is.Zero);

        var empty = Run("train", "--connection", Db, "--reports", PathOf("runs"));

        Assert.Multiple(() =>
        {
            Assert.That(missing.Code, Is.EqualTo(2), missing.Output);
            Assert.That(missing.Output, Does.Contain("No database at"));
            Assert.That(empty.Code, Is.EqualTo(1), empty.Output);
            Assert.That(empty.Output, Does.Contain("failed").And.Contain("labeled matches"));
        });
    }

    [Test]
    public void Evaluate_writes_the_report_and_its_exit_code_says_whether_every_target_was_met()
    {
        Assert.That(Run("simulate", "--therapists", "40", "--clients", "2500", "--seed", "8", "--connection", Db, "--truth", PathOf("truth.json")).Code, Is.Zero);

        var result = Run("evaluate", "--truth", PathOf("truth.json"), "--out", PathOf("report"), "--connection", Db);

        var report = JsonNode.Parse(File.ReadAllText(PathOf(Path.Combine("report", "report.json"))))!;
        var allMet = report["targets"]!.AsArray().All(t => (bool)t!["met"]!);
        Assert.Multiple(() =>
        {
            Assert.That(result.Code, Is.EqualTo(allMet ? 0 : 4), result.Output);
            Assert.That(result.Output, Does.Contain("Holdout, observed labels").And.Contain("Against the true alliance").And.Contain("oracle"));
            Assert.That(report["truth"]!.AsArray().Select(t => (string)t!["policy"]!), Does.Contain("rule-based/1").And.Contain("random").And.Contain("lambdamart (cohort)"));
            foreach (var file in new[] { "report.md", "top1-gain.svg", "true-ndcg.svg", "capacity.svg", "observed-ndcg.svg", "iterations.svg", "importance.svg" })
            {
                Assert.That(File.Exists(PathOf(Path.Combine("report", file))), Is.True, file);
            }
        });
    }

    [Test]
    public void Evaluate_with_an_unreadable_truth_file_says_so()
    {
        File.WriteAllText(PathOf("truth.json"), "{ not json");

        var result = Run("evaluate", "--truth", PathOf("truth.json"), "--out", PathOf("report"), "--connection", Db);

        Assert.That(result.Code, Is.EqualTo(2));
        Assert.That(result.Output, Does.Contain("truth.json"));
    }

    private static (int Code, string Output) Run(params string[] args) => CommandRunner.Run([DbCommands.Create, SimulateCommand.Create, EvaluateCommand.Create, TrainCommand.Create], args);
}
