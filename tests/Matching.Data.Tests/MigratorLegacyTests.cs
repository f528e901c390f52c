using Dapper;
using Microsoft.Data.Sqlite;

namespace Matching.Data.Tests;

/// <summary>
/// A SQLite database exactly as the hand-written migrator before DbUp left it (Legacy/, a dump of
/// a file it migrated) is taken over by the DbUp migrator: nothing applied twice, its journal kept,
/// and afterwards the same schema as a database DbUp migrated from empty.
/// </summary>
[TestFixture]
public sealed class MigratorLegacyTests() : DatabaseTest(DatabaseEngine.Sqlite)
{
    private const string Dump = "sqlite-hand-written-migrator-0002.sql";

    protected override bool Migrate => false;

    [Test]
    public async Task A_database_the_hand_written_migrator_created_is_taken_over_as_it_is()
    {
        await using (var legacy = new SqliteConnection($"Data Source={SqliteFile}"))
        {
            await legacy.OpenAsync();
            await legacy.ExecuteAsync(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Legacy", Dump)));
        }

        var journalBefore = await JournalAsync(Db);
        var migrator = new Migrator(Db);

        var applied = await migrator.ApplyAsync(Clock);

        Assert.That(journalBefore.Select(j => j.Number), Is.EqualTo(new[] { 1, 2 }), "the dump is what it says");
        Assert.That(applied, Is.EqualTo(migrator.Migrations.Where(m => m.Number > 2)), "only scripts added since");
        Assert.That((await JournalAsync(Db)).Take(2), Is.EqualTo(journalBefore), "the old rows are kept as they were");
        Assert.That(await migrator.ApplyAsync(Clock), Is.Empty);

        await using var fresh = new MatchingDatabase(new DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(Folder, "fresh.db")}" });
        await new Migrator(fresh).ApplyAsync(Clock);
        Assert.That(await SchemaAsync(Db), Is.EqualTo(await SchemaAsync(fresh)), "the same tables and indexes, defined alike");
        Assert.That(await JournalAsync(fresh), Has.Count.EqualTo(migrator.Migrations.Count));
    }

    private static Task<List<(string Name, string? Sql)>> SchemaAsync(MatchingDatabase db) =>
        db.RunAsync(async (c, ct) => (await c.QueryAsync<(string, string?)>(new CommandDefinition(
            "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name", cancellationToken: ct))).ToList(), default).AsTask();

    private static Task<List<(long Number, string Name, string AppliedAt)>> JournalAsync(MatchingDatabase db) =>
        db.RunAsync(async (c, ct) => (await c.QueryAsync<(long, string, string)>(new CommandDefinition(
            "SELECT number, name, applied_at FROM schema_journal ORDER BY number", cancellationToken: ct))).ToList(), default).AsTask();
}
