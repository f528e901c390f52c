using Dapper;
using Matching.Engine.Domain;

namespace Matching.Data.Tests;

/// <summary>The propensity and exploration flag of shortlist items (migration 0004).</summary>
[TestFixture(DatabaseEngine.Sqlite)]
[TestFixture(DatabaseEngine.SqlServer)]
public class ShortlistPropensityTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    protected override bool Migrate => false;

    private ShortlistStore Store => new(Db);

    [Test]
    public async Task The_migration_applies_on_a_database_built_by_the_first_three_scripts_and_keeps_its_rows_unknown()
    {
        // A database as the service left it before 0004: scripts 1-3 journaled by the hand-written
        // migrator's table, and a shortlist item logged without a propensity.
        var migrator = new Migrator(Db);
        await ExecuteAsync(Engine == DatabaseEngine.Sqlite
            ? "CREATE TABLE IF NOT EXISTS schema_journal (number INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            : "CREATE TABLE schema_journal (number INT NOT NULL PRIMARY KEY, name NVARCHAR(200) NOT NULL, applied_at DATETIME2(3) NOT NULL)");
        foreach (var m in migrator.Migrations.Take(3))
        {
            foreach (var batch in System.Text.RegularExpressions.Regex.Split(m.Sql, @"^\s*GO\s*$", System.Text.RegularExpressions.RegexOptions.Multiline))
            {
                if (!string.IsNullOrWhiteSpace(batch))
                {
                    await ExecuteAsync(batch);
                }
            }

            await ExecuteAsync("INSERT INTO schema_journal (number, name, applied_at) VALUES (@Number, @Name, @At)", new { m.Number, m.Name, At = Clock.GetUtcNow().UtcDateTime });
        }

        var id = Guid.NewGuid().ToString();
        await ExecuteAsync("""
            INSERT INTO shortlist (id, client_id, caller, created_at, model_version, feature_schema, first_goal, request_json, excluded_json, considered, eligible)
            VALUES (@Id, 'c-1', 'test', @At, 'rule-based', 'v1', NULL, '{}', '{}', 1, 1)
            """, new { Id = id, At = Clock.GetUtcNow().UtcDateTime });
        await ExecuteAsync("""
            INSERT INTO shortlist_item (shortlist_id, position, therapist_id, score, goals_fit, tasks_fit, bond_fit, reasons_json, features)
            VALUES (@Id, 1, 't-1', 0.5, 0.5, 0.5, 0.5, '[]', '0.5')
            """, new { Id = id });

        var applied = await migrator.ApplyAsync(Clock);

        Assert.That(applied.Select(m => m.Name), Is.EqualTo(migrator.Migrations.Skip(3).Select(m => m.Name)).And.Contains("0004_shortlist_propensity.sql"));
        var row = await Db.RunAsync((c, ct) => c.QuerySingleAsync<(string TherapistId, double? Propensity, bool? Explored)>(new CommandDefinition(
            "SELECT therapist_id, propensity, explored FROM shortlist_item WHERE shortlist_id = @Id", new { Id = id }, cancellationToken: ct)), default);
        Assert.That(row, Is.EqualTo(("t-1", (double?)null, (bool?)null)));
    }

    [Test]
    public async Task Propensities_and_the_exploration_flag_round_trip_and_a_missing_one_stays_unknown()
    {
        await new Migrator(Db).ApplyAsync(Clock);
        var saved = Sample.Shortlist("c-1", Clock.GetUtcNow(), Goal.Anxiety, "t-1", "t-2", "t-3");
        saved = saved with
        {
            Items = [saved.Items[0] with { Propensity = 1 }, saved.Items[1], saved.Items[2] with { Propensity = 0.05 / 7, Explored = true }],
        };
        await Store.SaveAsync(saved);

        var items = (await Store.GetAsync(saved.Id))!.Value.Shortlist.Items;

        Assert.That(items.Select(i => (i.Propensity, i.Explored)), Is.EqualTo(new (double?, bool)[] { (1, false), (null, false), (0.05 / 7, true) }));
    }

    [Test]
    public async Task The_chosen_items_propensity_and_position_reach_the_labeled_pairs_unknown_as_one()
    {
        await new Migrator(Db).ApplyAsync(Clock);
        var store = Store;
        var at = Clock.GetUtcNow();
        var logged = Sample.Shortlist("c-1", at, Goal.Anxiety, "t-1", "t-2");
        logged = logged with { Items = [logged.Items[0] with { Propensity = 1 }, logged.Items[1] with { Propensity = 0.25, Explored = true }] };
        var old = Sample.Shortlist("c-2", at, Goal.Anxiety, "t-1", "t-2");
        await store.SaveManyAsync([logged, old]);
        await store.SaveChoicesAsync([new Choice(logged.Id, "c-1", "t-2", at), new Choice(old.Id, "c-2", "t-2", at)]);

        var pairs = await new FeedbackStore(Db).LabeledPairsAsync(at.AddDays(1));

        Assert.That(pairs.OrderBy(p => p.ClientId).Select(p => (p.ClientId, p.Propensity, p.Position)),
            Is.EqualTo(new[] { ("c-1", 0.25, 2), ("c-2", 1.0, 2) }));
    }

    [Test]
    public async Task Erasure_removes_the_items_with_their_propensities()
    {
        await new Migrator(Db).ApplyAsync(Clock);
        var saved = Sample.Shortlist("c-1", Clock.GetUtcNow(), Goal.Anxiety, "t-1", "t-2");
        await Store.SaveAsync(saved with { Items = [.. saved.Items.Select(i => i with { Propensity = 0.5, Explored = true })] });
        Assert.That(await CountAsync("shortlist_item", "WHERE propensity IS NOT NULL"), Is.EqualTo(2));

        var report = (await new ClientStore(Db, Clock).EraseAsync("c-1", "admin-key")).Report;

        Assert.That(report.ShortlistItems, Is.EqualTo(2));
        Assert.That(await CountAsync("shortlist_item"), Is.Zero);
    }
}
