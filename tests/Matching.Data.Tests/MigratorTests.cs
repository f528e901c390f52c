using System.Data.Common;
using Dapper;

namespace Matching.Data.Tests;

[TestFixture(DatabaseEngine.Sqlite)]
[TestFixture(DatabaseEngine.SqlServer)]
public class MigratorTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private static readonly string[] Tables =
        ["therapist", "therapist_tag", "shortlist", "shortlist_item", "choice", "alliance_rating", "outcome_event", "ranking_model", "erasure_log"];

    protected override bool Migrate => false;

    [Test]
    public void Scripts_are_numbered_from_1_in_order()
    {
        var migrations = new Migrator(Db).Migrations;

        Assert.Multiple(() =>
        {
            Assert.That(migrations.Select(m => m.Number), Is.EqualTo(Enumerable.Range(1, migrations.Count)));
            Assert.That(migrations[0].Name, Is.EqualTo("0001_initial.sql"));
            Assert.That(migrations.Select(m => m.Sql), Has.All.Not.Empty);
        });
    }

    [Test]
    public async Task The_first_run_applies_every_script_and_journals_it()
    {
        var migrator = new Migrator(Db);

        var applied = await migrator.ApplyAsync(Clock);

        Assert.That(applied, Is.EqualTo(migrator.Migrations));
        Assert.That(await migrator.AppliedAsync(), Is.EqualTo(migrator.Migrations.Select(m => m.Number)));
        var journal = await JournalAsync();
        Assert.That(journal.Select(j => (j.Number, j.Name, j.AppliedAt)), Is.EqualTo(migrator.Migrations.Select(m => (m.Number, m.Name, Clock.GetUtcNow().UtcDateTime))));
        foreach (var table in Tables)
        {
            Assert.That(await TableExistsAsync(table), Is.True, table);
        }
    }

    [Test]
    public async Task A_second_run_applies_nothing()
    {
        var migrator = new Migrator(Db);
        await migrator.ApplyAsync(Clock);
        var before = await JournalAsync();
        Clock.Advance(TimeSpan.FromDays(1));

        var applied = await new Migrator(Db).ApplyAsync(Clock);

        Assert.That(applied, Is.Empty);
        Assert.That(await JournalAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Nothing_is_applied_on_a_fresh_database_until_asked()
    {
        Assert.That(await new Migrator(Db).AppliedAsync(), Is.Empty);
        Assert.That(await TableExistsAsync("therapist"), Is.False);
    }

    [Test]
    public async Task A_failing_script_leaves_nothing_half_applied()
    {
        // The initial script creates erasure_log last; a table already there makes it fail after
        // every other table was created in the same transaction.
        await ExecuteAsync("CREATE TABLE erasure_log (blocker INT NOT NULL)");
        var migrator = new Migrator(Db);

        Assert.That(() => migrator.ApplyAsync(Clock), Throws.InstanceOf<DbException>());

        Assert.That(await migrator.AppliedAsync(), Is.Empty);
        foreach (var table in Tables.Where(t => t != "erasure_log"))
        {
            Assert.That(await TableExistsAsync(table), Is.False, table);
        }

        await ExecuteAsync("DROP TABLE erasure_log");
        Assert.That(await migrator.ApplyAsync(Clock), Has.Count.EqualTo(migrator.Migrations.Count), "the script applies once the obstacle is gone");
    }

    [Test]
    public async Task Work_that_throws_inside_a_transaction_is_rolled_back()
    {
        await new Migrator(Db).ApplyAsync(Clock);

        Assert.That(
            async () => await Db.InTransactionAsync<int>(async (c, tx, ct) =>
            {
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO erasure_log (erased_at, caller, rows_erased) VALUES (@At, 'test', 1)",
                    new { At = Clock.GetUtcNow().UtcDateTime },
                    tx,
                    cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition("CREATE TABLE half_done (id INT NOT NULL)", transaction: tx, cancellationToken: ct));
                throw new InvalidOperationException("boom");
            }, default),
            Throws.InvalidOperationException.With.Message.EqualTo("boom"));

        Assert.That(await CountAsync("erasure_log"), Is.Zero);
        Assert.That(await TableExistsAsync("half_done"), Is.False);
    }

    [Test]
    public async Task A_database_the_hand_written_migrator_left_at_the_first_script_is_upgraded_through_the_rest()
    {
        // What the migrator before DbUp left: its journal (this DDL is its own) with script 1 applied.
        var migrator = new Migrator(Db);
        var before = Clock.GetUtcNow().UtcDateTime.AddDays(-30);
        await ExecuteAsync(Engine == DatabaseEngine.Sqlite
            ? "CREATE TABLE IF NOT EXISTS schema_journal (number INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            : "CREATE TABLE schema_journal (number INT NOT NULL PRIMARY KEY, name NVARCHAR(200) NOT NULL, applied_at DATETIME2(3) NOT NULL)");
        foreach (var batch in System.Text.RegularExpressions.Regex.Split(migrator.Migrations[0].Sql, @"^\s*GO\s*$", System.Text.RegularExpressions.RegexOptions.Multiline))
        {
            if (!string.IsNullOrWhiteSpace(batch))
            {
                await ExecuteAsync(batch);
            }
        }

        await ExecuteAsync("INSERT INTO schema_journal (number, name, applied_at) VALUES (1, '0001_initial.sql', @At)", new { At = before });

        var applied = await migrator.ApplyAsync(Clock);
        var again = await new Migrator(Db).ApplyAsync(Clock);

        Assert.That(applied, Is.EqualTo(migrator.Migrations.Skip(1)), "every script after the first, once");
        Assert.That(again, Is.Empty);
        var journal = await JournalAsync();
        Assert.That(journal.Select(j => (j.Number, j.Name, j.AppliedAt)), Is.EqualTo(
            migrator.Migrations.Select(m => (m.Number, m.Name, m.Number == 1 ? before : Clock.GetUtcNow().UtcDateTime))));
        Assert.That(await TableExistsAsync("training_run"), Is.True, "0002 applied");
    }

    private Task<List<JournalRow>> JournalAsync() =>
        Db.RunAsync(async (c, ct) => (await c.QueryAsync<JournalRow>(new CommandDefinition(
            "SELECT number AS Number, name AS Name, applied_at AS AppliedAt FROM schema_journal ORDER BY number", cancellationToken: ct))).ToList(), default).AsTask();

    private sealed record JournalRow
    {
        public int Number { get; init; }

        public string Name { get; init; } = "";

        public DateTime AppliedAt { get; init; }
    }
}
