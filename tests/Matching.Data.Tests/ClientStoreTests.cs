using Dapper;
using Matching.Engine.Domain;

namespace Matching.Data.Tests;

[TestFixture(DatabaseEngine.Sqlite)]
[TestFixture(DatabaseEngine.SqlServer)]
public class ClientStoreTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    // Tables with a client_id column; shortlist_item rows belong to a shortlist.
    private static readonly string[] ClientTables = ["shortlist", "choice", "alliance_rating", "outcome_event"];

    private ClientStore Store => new(Db, Clock);

    [Test]
    public async Task Erasure_removes_every_row_of_the_client_and_only_those()
    {
        await SeedAsync();
        var othersBefore = await CountPerTableAsync("WHERE client_id = 'c-2'");
        Assert.That(await Store.CountRowsAsync("c-1"), Is.EqualTo(2 + 2 + 1), "2 shortlists, 2 ratings, 1 outcome");
        Clock.Advance(TimeSpan.FromDays(30));

        var report = (await Store.EraseAsync("c-1", "admin-key")).Report;

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(report, Is.EqualTo(new ErasureReport(Shortlists: 2, ShortlistItems: 3, Choices: 1, Ratings: 2, OutcomeEvents: 1)));
            Assert.That(report.Total, Is.EqualTo(9));
            Assert.That(await Store.CountRowsAsync("c-1"), Is.Zero);
            Assert.That(await Store.CountRowsAsync("c-2"), Is.EqualTo(1 + 1 + 1));
            Assert.That(await CountPerTableAsync("WHERE client_id = 'c-1'"), Has.All.Zero);
            Assert.That(await CountPerTableAsync("WHERE client_id = 'c-2'"), Is.EqualTo(othersBefore));
            Assert.That(await CountAsync("shortlist_item"), Is.EqualTo(1), "only c-2's item is left");
            Assert.That(await CountAsync("therapist"), Is.EqualTo(3), "the directory is not the client's data");
        });
    }

    [Test]
    public async Task Erasure_is_logged_without_the_client_id()
    {
        await SeedAsync();
        Clock.Advance(TimeSpan.FromDays(30));

        var report = (await Store.EraseAsync("c-1", "admin-key")).Report;

        var log = (await Db.RunAsync((c, ct) => c.QueryAsync(new CommandDefinition("SELECT * FROM erasure_log", cancellationToken: ct)), default))
            .Cast<IDictionary<string, object>>()
            .ToList();
        Assert.That(log, Has.Count.EqualTo(1));
        var row = log[0];
        Assert.Multiple(() =>
        {
            Assert.That(row.Keys, Is.EquivalentTo(new[] { "id", "erased_at", "caller", "rows_erased" }));
            Assert.That(row.Values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)), Has.None.Contains("c-1"));
            Assert.That(Convert.ToInt32(row["rows_erased"], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(report.Total));
            Assert.That(row["caller"], Is.EqualTo("admin-key"));
        });
        Assert.That(await CountAsync("erasure_log", "WHERE erased_at = @At", new { At = ManualClock.Start.AddDays(30).UtcDateTime }), Is.EqualTo(1));
    }

    [Test]
    public async Task Erasing_an_unknown_client_removes_nothing_and_is_still_logged()
    {
        await SeedAsync();

        var report = (await Store.EraseAsync("c-unknown", "admin-key")).Report;

        Assert.That(report.Total, Is.Zero);
        Assert.That(await Store.CountRowsAsync("c-1"), Is.EqualTo(5));
        Assert.That(await CountAsync("erasure_log", "WHERE rows_erased = 0"), Is.EqualTo(1));
    }

    /// <summary>
    /// c-1: two shortlists (2 items and 1 item), a choice, two ratings and an outcome.
    /// c-2: one shortlist (1 item), a choice, a rating and an outcome, of a therapist c-1 also saw.
    /// </summary>
    private async Task SeedAsync()
    {
        await new TherapistStore(Db, Clock).UpsertManyAsync([Sample.Therapist("t-1"), Sample.Therapist("t-2"), Sample.Therapist("t-3")]);
        var shortlists = new ShortlistStore(Db);
        var feedback = new FeedbackStore(Db);
        var first = Sample.Shortlist("c-1", Clock.GetUtcNow(), Goal.Anxiety, "t-1", "t-2");
        var second = Sample.Shortlist("c-1", Clock.GetUtcNow(), Goal.Grief, "t-3");
        var other = Sample.Shortlist("c-2", Clock.GetUtcNow(), Goal.Anxiety, "t-1");
        await shortlists.SaveManyAsync([first, second, other]);
        var at = Clock.GetUtcNow();
        var score = new AllianceScore(0.7, 0.7, 0.7);
        Assert.That(
            new[]
            {
                (await shortlists.RecordChoiceAsync(first.Id, "t-1", at)).ToString(),
                (await shortlists.RecordChoiceAsync(other.Id, "t-1", at)).ToString(),
                (await feedback.AddRatingAsync(first.Id, "t-1", AllianceInstrument.WaiSr, null, 1, score, at)).ToString(),
                (await feedback.AddRatingAsync(first.Id, "t-1", AllianceInstrument.WaiSr, null, 2, score, at)).ToString(),
                (await feedback.AddOutcomeAsync(first.Id, "t-1", OutcomeKind.Completed, 8, at)).ToString(),
                (await feedback.AddRatingAsync(other.Id, "t-1", AllianceInstrument.Srs, null, 1, score, at)).ToString(),
                (await feedback.AddOutcomeAsync(other.Id, "t-1", OutcomeKind.Dropout, 2, at)).ToString(),
            },
            Has.All.EqualTo("Recorded"));
    }

    private async Task<int[]> CountPerTableAsync(string where)
    {
        var counts = new List<int>();
        foreach (var table in ClientTables)
        {
            counts.Add(await CountAsync(table, where));
        }

        return [.. counts];
    }
}
