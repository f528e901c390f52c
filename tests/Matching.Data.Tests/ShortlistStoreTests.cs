using System.Data.Common;
using Matching.Engine.Domain;

namespace Matching.Data.Tests;

[TestFixture(DatabaseEngine.Sqlite)]
[TestFixture(DatabaseEngine.SqlServer)]
public class ShortlistStoreTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private ShortlistStore Store => new(Db);

    [Test]
    public async Task A_shortlist_round_trips()
    {
        var saved = Sample.Shortlist("c-1", Clock.GetUtcNow(), Goal.Trauma, "t-1", "t-2", "t-3");
        await Store.SaveAsync(saved);

        var loaded = await Store.GetAsync(saved.Id);

        Assert.That(loaded, Is.Not.Null);
        var (shortlist, chosen) = loaded!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(shortlist, Is.EqualTo(saved).UsingPropertiesComparer());
            Assert.That(shortlist.ExcludedBy, Is.EqualTo(saved.ExcludedBy));
            Assert.That(shortlist.CreatedAt, Is.EqualTo(ManualClock.Start));
            Assert.That(shortlist.Items.Select(i => i.TherapistId), Is.EqualTo(new[] { "t-1", "t-2", "t-3" }));
            Assert.That(chosen, Is.Null);
        });
    }

    [Test]
    public async Task Features_round_trip_exactly()
    {
        float[] features =
        [
            0f, 1f, 0.5f, 1f / 3f, 2f / 3f, 0.73f, 0.1f, 0.3f, 1e-7f, float.Epsilon, 0.999999f, 0.12345679f,
            5.5e-5f, (float)Math.Log(11) / (float)Math.Log(101), 0.25f, float.BitDecrement(1f),
        ];
        var saved = Sample.Shortlist("c-1", Clock.GetUtcNow(), Goal.Anxiety, "t-1");
        saved = saved with { Items = [saved.Items[0] with { Features = features, Score = 1.0 / 3.0, GoalsFit = 0.614 }] };
        await Store.SaveAsync(saved);

        var item = (await Store.GetAsync(saved.Id))!.Value.Shortlist.Items.Single();

        Assert.Multiple(() =>
        {
            Assert.That(item.Features, Is.EqualTo(features));
            Assert.That(item.Score, Is.EqualTo(1.0 / 3.0));
            Assert.That(item.GoalsFit, Is.EqualTo(0.614));
        });
    }

    [Test]
    public async Task A_shortlist_without_items_round_trips()
    {
        var saved = Sample.Shortlist("c-1", Clock.GetUtcNow(), null) with { Eligible = 0 };
        await Store.SaveAsync(saved);

        var (shortlist, _) = (await Store.GetAsync(saved.Id))!.Value;

        Assert.That(shortlist, Is.EqualTo(saved).UsingPropertiesComparer());
    }

    [Test]
    public async Task Get_of_an_unknown_id_is_null()
    {
        Assert.That(await Store.GetAsync(Guid.NewGuid()), Is.Null);
    }

    [Test]
    public async Task SaveMany_stores_all_or_none()
    {
        var first = Sample.Shortlist("c-1", Clock.GetUtcNow(), Goal.Anxiety, "t-1");
        var duplicate = Sample.Shortlist("c-2", Clock.GetUtcNow(), Goal.Anxiety, "t-2") with { Id = first.Id };

        Assert.That(() => Store.SaveManyAsync([first, duplicate]), Throws.InstanceOf<DbException>());

        Assert.That(await CountAsync("shortlist"), Is.Zero);
        Assert.That(await CountAsync("shortlist_item"), Is.Zero);
    }

    [Test]
    public async Task A_choice_is_recorded_with_the_shortlist_client()
    {
        var shortlist = await SaveAsync("c-1", "t-1", "t-2");
        Clock.Advance(TimeSpan.FromMinutes(3));

        var result = await Store.RecordChoiceAsync(shortlist.Id, "t-2", Clock.GetUtcNow());

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(result, Is.EqualTo(ChoiceResult.Recorded));
            Assert.That((await Store.GetAsync(shortlist.Id))!.Value.ChosenTherapistId, Is.EqualTo("t-2"));
            Assert.That(await CountAsync("choice", "WHERE client_id = 'c-1' AND therapist_id = 't-2'"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_second_choice_is_refused([Values("t-1", "t-2")] string secondChoice)
    {
        var shortlist = await SaveAsync("c-1", "t-1", "t-2");
        await Store.RecordChoiceAsync(shortlist.Id, "t-1", Clock.GetUtcNow());

        var result = await Store.RecordChoiceAsync(shortlist.Id, secondChoice, Clock.GetUtcNow());

        Assert.That(result, Is.EqualTo(ChoiceResult.AlreadyChosen));
        Assert.That((await Store.GetAsync(shortlist.Id))!.Value.ChosenTherapistId, Is.EqualTo("t-1"));
    }

    [Test]
    public async Task A_choice_for_an_unknown_shortlist_is_refused()
    {
        await SaveAsync("c-1", "t-1");

        Assert.That(await Store.RecordChoiceAsync(Guid.NewGuid(), "t-1", Clock.GetUtcNow()), Is.EqualTo(ChoiceResult.ShortlistNotFound));
        Assert.That(await CountAsync("choice"), Is.Zero);
    }

    [Test]
    public async Task A_choice_of_a_therapist_not_on_the_shortlist_is_refused()
    {
        var shortlist = await SaveAsync("c-1", "t-1", "t-2");
        await SaveAsync("c-2", "t-3");

        Assert.That(await Store.RecordChoiceAsync(shortlist.Id, "t-3", Clock.GetUtcNow()), Is.EqualTo(ChoiceResult.NotOnShortlist));
        Assert.That(await CountAsync("choice"), Is.Zero);
    }

    [Test]
    public async Task New_clients_are_counted_per_therapist_from_the_start_of_the_week()
    {
        var since = ManualClock.Start;
        var shortlists = new[] { await SaveAsync("c-1", "t-1"), await SaveAsync("c-2", "t-1"), await SaveAsync("c-3", "t-1", "t-2"), await SaveAsync("c-4", "t-2") };
        await Store.SaveChoicesAsync(
        [
            new Choice(shortlists[0].Id, "c-1", "t-1", since.AddSeconds(-1)), // last week
            new Choice(shortlists[1].Id, "c-2", "t-1", since),
            new Choice(shortlists[2].Id, "c-3", "t-1", since.AddDays(2)),
        ]);
        Assert.That(await Store.RecordChoiceAsync(shortlists[3].Id, "t-2", since.AddHours(5)), Is.EqualTo(ChoiceResult.Recorded));

        var counts = await Store.NewClientsSinceAsync(since);

        Assert.That(counts, Is.EqualTo(new Dictionary<string, int> { ["t-1"] = 2, ["t-2"] = 1 }));
        Assert.That(await Store.NewClientsSinceAsync(since.AddDays(7)), Is.Empty);
    }

    private async Task<Shortlist> SaveAsync(string clientId, params string[] therapistIds)
    {
        var shortlist = Sample.Shortlist(clientId, Clock.GetUtcNow(), Goal.Anxiety, therapistIds);
        await Store.SaveAsync(shortlist);
        return shortlist;
    }
}
