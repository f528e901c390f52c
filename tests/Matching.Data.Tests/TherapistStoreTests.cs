using System.Collections;
using System.Data.Common;
using Matching.Engine.Domain;

namespace Matching.Data.Tests;

[TestFixture(DatabaseEngine.Sqlite)]
[TestFixture(DatabaseEngine.SqlServer)]
public class TherapistStoreTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private TherapistStore Store => new(Db, Clock);

    [Test]
    public async Task Upsert_returns_true_when_it_creates_and_false_when_it_updates()
    {
        var created = await Store.UpsertAsync(Sample.Therapist("t-1"));
        Clock.Advance(TimeSpan.FromHours(1));
        var updatedAgain = await Store.UpsertAsync(Sample.Therapist("t-1") with { DisplayName = "Renamed", Fee = 90m });

        var stored = await Store.GetAsync("t-1");

        Assert.Multiple(() =>
        {
            Assert.That(created, Is.True);
            Assert.That(updatedAgain, Is.False);
            Assert.That(stored!.Profile.DisplayName, Is.EqualTo("Renamed"));
            Assert.That(stored.Profile.Fee, Is.EqualTo(90m));
            Assert.That(stored.UpdatedAt, Is.EqualTo(ManualClock.Start.AddHours(1)));
        });
        Assert.That(await Store.CountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task Every_profile_field_round_trips()
    {
        var profile = Sample.FullTherapist("t-full");
        await Store.UpsertAsync(profile);

        var stored = await Store.GetAsync("t-full");

        Assert.That(stored, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(stored!.Profile, Is.EqualTo(profile).UsingPropertiesComparer());
            Assert.That(stored.Active, Is.True);
            Assert.That(stored.UpdatedAt, Is.EqualTo(ManualClock.Start));
            Assert.That(stored.UpdatedAt.Offset, Is.EqualTo(TimeSpan.Zero));
        });
    }

    [Test]
    public async Task Get_of_an_unknown_id_is_null()
    {
        Assert.That(await Store.GetAsync("t-missing"), Is.Null);
    }

    [Test]
    public async Task An_update_replaces_the_tags_filtered_on()
    {
        await Store.UpsertAsync(Sample.Therapist("t-1") with { Languages = ["en", "es"] });
        await Store.UpsertAsync(Sample.Therapist("t-1") with { Languages = ["fr"] });

        var (spanish, _) = await Store.ListAsync(new TherapistFilter(Language: "es"), 0, 10);
        var (french, _) = await Store.ListAsync(new TherapistFilter(Language: "fr"), 0, 10);

        Assert.Multiple(() =>
        {
            Assert.That(spanish, Is.Empty);
            Assert.That(french.Select(t => t.Profile.Id), Is.EqualTo(new[] { "t-1" }));
        });
    }

    [Test]
    public async Task Repeated_tags_in_a_profile_are_stored_once()
    {
        await Store.UpsertAsync(Sample.Therapist("t-1") with { Languages = ["en", "en"], Modalities = [Modality.Cbt, Modality.Cbt] });

        Assert.That(await CountAsync("therapist_tag", "WHERE therapist_id = 't-1' AND kind IN ('language', 'modality')"), Is.EqualTo(2));
    }

    private static IEnumerable<TestCaseData> Filters()
    {
        static TestCaseData Case(string name, TherapistFilter filter, params string[] ids) => new TestCaseData(filter, ids).SetArgDisplayNames(name);
        yield return Case("region us-ny", new TherapistFilter(Region: "us-ny"), "t-1", "t-3");
        yield return Case("region us-nj", new TherapistFilter(Region: "us-nj"), "t-2");
        yield return Case("region nowhere", new TherapistFilter(Region: "ca-on"));
        yield return Case("city nyc", new TherapistFilter(City: "nyc"), "t-1");
        yield return Case("language es", new TherapistFilter(Language: "es"), "t-2");
        yield return Case("language en", new TherapistFilter(Language: "en"), "t-1", "t-2");
        yield return Case("modality cbt", new TherapistFilter(Modality: Modality.Cbt), "t-1", "t-3");
        yield return Case("specialty depression", new TherapistFilter(Specialty: Goal.Depression), "t-3");
        yield return Case("specialty anxiety", new TherapistFilter(Specialty: Goal.Anxiety), "t-1", "t-3");
        yield return Case("insurance aetna", new TherapistFilter(Insurance: "aetna"), "t-1");
        yield return Case("accepting", new TherapistFilter(Accepting: true), "t-1", "t-2");
        yield return Case("not accepting", new TherapistFilter(Accepting: false), "t-3");
        yield return Case("inactive", new TherapistFilter(Active: false), "t-4");
        yield return Case("active or not", new TherapistFilter(Active: null), "t-1", "t-2", "t-3", "t-4");
        yield return Case("default", new TherapistFilter(), "t-1", "t-2", "t-3");
        yield return Case("combined", new TherapistFilter(Region: "us-ny", Modality: Modality.Cbt, Accepting: true), "t-1");
    }

    [TestCaseSource(nameof(Filters))]
    public async Task List_filters(TherapistFilter filter, string[] expected)
    {
        await SeedDirectoryAsync();

        var (items, total) = await Store.ListAsync(filter, 0, 50);

        Assert.Multiple(() =>
        {
            Assert.That(items.Select(t => t.Profile.Id), Is.EqualTo(expected));
            Assert.That(total, Is.EqualTo(expected.Length));
        });
    }

    [TestCase(0, 2, new[] { "t-01", "t-02" })]
    [TestCase(2, 2, new[] { "t-03", "t-04" })]
    [TestCase(4, 10, new[] { "t-05" })]
    [TestCase(5, 10, new string[0])]
    public async Task List_pages_in_id_order_with_the_total(int skip, int take, string[] expected)
    {
        // Stored out of order: the page order comes from the query.
        await Store.UpsertManyAsync(new[] { "t-03", "t-05", "t-01", "t-04", "t-02" }.Select(Sample.Therapist).ToList());

        var (items, total) = await Store.ListAsync(new TherapistFilter(), skip, take);

        Assert.Multiple(() =>
        {
            Assert.That(items.Select(t => t.Profile.Id), Is.EqualTo(expected));
            Assert.That(total, Is.EqualTo(5));
        });
    }

    [Test]
    public async Task Deactivate_and_reactivate()
    {
        await Store.UpsertManyAsync([Sample.Therapist("t-1"), Sample.Therapist("t-2")]);
        Clock.Advance(TimeSpan.FromMinutes(5));

        Assert.That(await Store.SetActiveAsync("t-1", false), Is.True);
        var deactivated = await Store.GetAsync("t-1");
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(deactivated!.Active, Is.False);
            Assert.That(deactivated.UpdatedAt, Is.EqualTo(ManualClock.Start.AddMinutes(5)));
            Assert.That((await Store.ActiveProfilesAsync()).Select(p => p.Id), Is.EqualTo(new[] { "t-2" }));
            Assert.That((await Store.ListAsync(new TherapistFilter(), 0, 10)).Total, Is.EqualTo(1));
        });

        // Editing a deactivated profile does not list it again.
        await Store.UpsertAsync(Sample.Therapist("t-1") with { DisplayName = "Edited" });
        Assert.That((await Store.GetAsync("t-1"))!.Active, Is.False);

        Assert.That(await Store.SetActiveAsync("t-1", true), Is.True);
        Assert.That((await Store.ActiveProfilesAsync()).Select(p => p.Id), Is.EqualTo(new[] { "t-1", "t-2" }));
    }

    [Test]
    public async Task SetActive_of_an_unknown_id_is_false()
    {
        Assert.That(await Store.SetActiveAsync("t-missing", false), Is.False);
    }

    [Test]
    public async Task SetActive_is_a_write_transaction()
    {
        // On SQLite every write of the process must pass through the one writer (group commit).
        await Store.UpsertAsync(Sample.Therapist("t-1"));
        var units = Db.WriteUnits;

        await Store.SetActiveAsync("t-1", false);

        Assert.That(Db.WriteUnits - units, Is.EqualTo(1));
    }

    [Test]
    public async Task UpsertMany_returns_how_many_were_new()
    {
        await Store.UpsertAsync(Sample.Therapist("t-2"));

        var created = await Store.UpsertManyAsync([Sample.Therapist("t-1"), Sample.Therapist("t-2"), Sample.Therapist("t-3")]);

        Assert.That(created, Is.EqualTo(2));
        Assert.That(await Store.CountAsync(), Is.EqualTo(3));
    }

    [Test]
    public async Task UpsertMany_stores_all_or_none_when_one_fails()
    {
        await Store.UpsertAsync(Sample.Therapist("t-1") with { DisplayName = "Original" });
        TherapistProfile[] batch =
        [
            Sample.Therapist("t-1") with { DisplayName = "Changed", Languages = ["fr"] },
            Sample.Therapist("t-2"),
            Sample.Therapist("t-3") with { DisplayName = null! }, // display_name is NOT NULL
        ];

        Assert.That(() => Store.UpsertManyAsync(batch), Throws.InstanceOf<DbException>());

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await Store.CountAsync(), Is.EqualTo(1));
            Assert.That((await Store.GetAsync("t-1"))!.Profile.DisplayName, Is.EqualTo("Original"));
            Assert.That((await Store.ListAsync(new TherapistFilter(Language: "fr"), 0, 10)).Total, Is.Zero);
            Assert.That(await CountAsync("therapist_tag", "WHERE therapist_id <> 't-1'"), Is.Zero);
        });
    }

    [Test]
    public async Task UpsertMany_stores_none_when_cancelled_part_way()
    {
        using var cancellation = new CancellationTokenSource();
        var batch = new CancelsOnSecondItem([Sample.Therapist("t-1"), Sample.Therapist("t-2")], cancellation);

        Assert.That(() => Store.UpsertManyAsync(batch, cancellation.Token), Throws.InstanceOf<OperationCanceledException>());

        Assert.That(batch.Cancelled, Is.True, "the first profile was written before the cancellation");
        Assert.That(await Store.CountAsync(), Is.Zero);
    }

    private async Task SeedDirectoryAsync()
    {
        await Store.UpsertManyAsync(
        [
            Sample.Therapist("t-1"),
            Sample.Therapist("t-2") with
            {
                LicensedRegions = ["us-nj"], InPersonCities = [], Languages = ["es", "en"], Modalities = [Modality.Emdr],
                Specialties = [Goal.Trauma], InsuranceAccepted = ["cigna"],
            },
            Sample.Therapist("t-3") with
            {
                InPersonCities = ["buffalo"], Languages = ["fr"], Modalities = [Modality.Psychodynamic, Modality.Cbt],
                Specialties = [Goal.Depression, Goal.Anxiety], InsuranceAccepted = [], AcceptingNewClients = false,
            },
            Sample.Therapist("t-4") with { Modalities = [Modality.Act], Specialties = [Goal.Grief] },
        ]);
        await Store.SetActiveAsync("t-4", false);
    }

    /// <summary>A batch that cancels its token when the store reaches the second profile, mid-transaction.</summary>
    private sealed class CancelsOnSecondItem(IReadOnlyList<TherapistProfile> items, CancellationTokenSource cancellation) : IReadOnlyList<TherapistProfile>
    {
        public bool Cancelled { get; private set; }

        public int Count => items.Count;

        public TherapistProfile this[int index] => items[index];

        public IEnumerator<TherapistProfile> GetEnumerator()
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (i == 1)
                {
                    cancellation.Cancel();
                    Cancelled = true;
                }

                yield return items[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
