using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;
using Matching.Api.Ranking;
using Matching.Data;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Api.Tests.Ranking;

/// <summary>
/// The directory snapshot behind the match endpoint: this replica's writes apply to it at once
/// without a rebuild from the database, other replicas' writes (made here straight through the
/// stores on the same file) arrive with the next rebuild, and a rebuild keeps what this replica
/// changed meanwhile.
/// </summary>
public sealed class DirectoryCacheTests
{
    private MatchingApiFactory _factory = null!;
    private HttpClient _directory = null!;
    private HttpClient _intake = null!;
    private HttpClient _data = null!;

    private DirectoryCache Cache => _factory.Services.GetRequiredService<DirectoryCache>();

    [SetUp]
    public async Task SetUp()
    {
        _factory = new MatchingApiFactory();
        await _factory.ImportDirectoryAsync();
        _directory = _factory.ClientFor(Role.Directory);
        _intake = _factory.ClientFor(Role.Intake);
        _data = _factory.ClientFor(Role.Data);
    }

    [TearDown]
    public void TearDown()
    {
        _directory.Dispose();
        _intake.Dispose();
        _data.Dispose();
        _factory.Dispose();
    }

    private async Task<JsonObject> MatchAsync(string clientId)
    {
        var response = await _directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request(clientId));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static IEnumerable<string> Ids(JsonObject match) => match["therapists"]!.AsArray().Select(t => (string)t!["therapistId"]!);

    [Test]
    public async Task A_rating_updates_the_track_record_in_place_without_a_rebuild()
    {
        var match = await MatchAsync("c-rated");
        var rebuilt = Cache.RebuiltAt;
        var before = (await Cache.GetAsync(CancellationToken.None)).Find("t-cbt-ny")!.Track;

        var rating = await _intake.PostAsJsonAsync("/v1/alliance-ratings", new
        {
            matchId = (string)match["matchId"]!,
            therapistId = "t-cbt-ny",
            instrument = "srs",
            items = new[] { 9, 9, 9, 9 },
            sessionNumber = 1,
        });
        Assert.That(rating.StatusCode, Is.EqualTo(HttpStatusCode.Created), await rating.Content.ReadAsStringAsync());

        var after = (await Cache.GetAsync(CancellationToken.None)).Find("t-cbt-ny")!.Track;
        var stored = await _factory.Services.GetRequiredService<FeedbackStore>().TrackRecordsAsync(_factory.Clock.GetUtcNow());
        Assert.Multiple(() =>
        {
            Assert.That(Cache.RebuiltAt, Is.EqualTo(rebuilt), "no rebuild from the database");
            Assert.That(before.Ratings, Is.Zero);
            Assert.That(after.Ratings, Is.EqualTo(1));
            Assert.That(after.MeanAlliance, Is.EqualTo(stored["t-cbt-ny"].MeanAlliance).Within(1e-12), "the same as the database's own aggregate");
            Assert.That(after.ByGoal[Goal.Panic].Ratings, Is.EqualTo(1), "kept by the client's first goal");
        });
    }

    [Test]
    public async Task A_rebuild_measures_the_prior_on_every_stored_rating_and_a_new_therapist_gets_it()
    {
        // 120 ratings stored elsewhere (straight through the store) on one shortlist, WAI-SR items of 3, 4 or 5.
        var match = await MatchAsync("c-prior");
        var shortlist = Guid.Parse((string)match["matchId"]!);
        var at = _factory.Clock.GetUtcNow();
        var ratings = Enumerable.Range(0, 120).Select(i =>
        {
            var items = Enumerable.Repeat(3 + (i % 3), 12).ToArray();
            items[0] = i % 5 == 0 ? 1 : items[0];
            return new StoredRating(shortlist, "c-prior", i % 2 == 0 ? "t-cbt-ny" : "t-emdr-ny", AllianceInstrument.WaiSr, items, 3,
                AllianceScale.FromItems(AllianceInstrument.WaiSr, items), at);
        }).ToList();
        await _factory.Services.GetRequiredService<FeedbackStore>().SaveManyAsync(ratings, []);
        var before = (await Cache.GetAsync(CancellationToken.None)).Prior;

        await Cache.RebuildAsync(CancellationToken.None);
        await _data.PutAsJsonAsync("/v1/therapists/t-newcomer", TestDirectory.Profile("t-newcomer"), MatchingApiFactory.Json);
        var after = await Cache.GetAsync(CancellationToken.None);

        var mean = ratings.Average(r => r.Score.Overall);
        var served = await _factory.Services.GetRequiredService<ShortlistStore>().GetAsync(Guid.Parse((string)(await MatchAsync("c-prior-after"))["matchId"]!));
        var newcomer = served!.Value.Shortlist.Items.Single(i => i.TherapistId == "t-newcomer").Features;
        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(AlliancePrior.Fallback), "no rating stored when the snapshot was built");
            Assert.That(after.Prior.Ratings, Is.EqualTo(120));
            Assert.That(after.Prior.Mean, Is.EqualTo(mean).Within(1e-12), "the mean of every stored rating's overall score");
            Assert.That(after.Prior.Mean, Is.Not.EqualTo(AlliancePrior.Fallback.Mean).Within(0.01));
            Assert.That(newcomer[PairFeatures.Index.TrackAlliance], Is.EqualTo((float)mean).Within(1e-6f), "a therapist with no history is logged at the population mean");
            Assert.That(newcomer[PairFeatures.Index.TrackGoalAlliance], Is.EqualTo((float)mean).Within(1e-6f));
        });
    }

    [Test]
    public async Task A_rebuild_writes_only_the_therapists_another_replica_changed()
    {
        var shortlists = _factory.Services.GetRequiredService<ShortlistStore>();
        await Cache.RebuildAsync(CancellationToken.None);
        var before = (await Cache.GetAsync(CancellationToken.None)).ListedCandidates().ToDictionary(c => c.Profile.Id);
        await Cache.RebuildAsync(CancellationToken.None);
        var unchanged = (await Cache.GetAsync(CancellationToken.None)).ListedCandidates().ToList();

        var match = await MatchAsync("c-elsewhere-only");
        var held = unchanged.Single(c => c.Profile.Id == "t-cbt-ny");
        await shortlists.SaveChoicesAsync([new Choice(Guid.Parse((string)match["matchId"]!), "c-elsewhere-only", "t-cbt-ny", _factory.Clock.GetUtcNow())]);
        await Cache.RebuildAsync(CancellationToken.None);
        var after = (await Cache.GetAsync(CancellationToken.None)).ListedCandidates().ToDictionary(c => c.Profile.Id);

        Assert.Multiple(() =>
        {
            Assert.That(unchanged, Has.Count.EqualTo(before.Count).And.Count.GreaterThan(2));
            Assert.That(unchanged.All(c => ReferenceEquals(c, before[c.Profile.Id])), Is.True, "nothing changed: every therapist kept as it was");
            Assert.That(after["t-cbt-ny"].CapacityLeft, Is.EqualTo(held.CapacityLeft - 1), "the other replica's choice arrived");
            Assert.That(unchanged.Where(c => c.Profile.Id != "t-cbt-ny").All(c => ReferenceEquals(c, after[c.Profile.Id])), Is.True, "no other therapist was written");
        });
    }

    [Test]
    public async Task Another_replicas_listing_and_choices_arrive_with_the_next_rebuild()
    {
        var store = _factory.Services.GetRequiredService<TherapistStore>();
        var shortlists = _factory.Services.GetRequiredService<ShortlistStore>();
        var first = await MatchAsync("c-elsewhere-1");
        await store.UpsertAsync(TestDirectory.Profile("t-new-elsewhere"));
        await shortlists.SaveChoicesAsync([new Choice(Guid.Parse((string)first["matchId"]!), "c-elsewhere-1", "t-cbt-ny", _factory.Clock.GetUtcNow())]);
        var second = await shortlists.GetAsync(Guid.Parse((string)(await MatchAsync("c-elsewhere-2"))["matchId"]!));
        await shortlists.SaveChoicesAsync([new Choice(second!.Value.Shortlist.Id, "c-elsewhere-2", "t-cbt-ny", _factory.Clock.GetUtcNow())]);

        var beforeRebuild = await MatchAsync("c-elsewhere-3");
        await Cache.RebuildAsync(CancellationToken.None);
        var afterRebuild = await MatchAsync("c-elsewhere-4");

        Assert.Multiple(() =>
        {
            Assert.That(Ids(beforeRebuild), Does.Contain("t-cbt-ny").And.Not.Contain("t-new-elsewhere"), "not seen before the rebuild");
            Assert.That(Ids(afterRebuild), Does.Contain("t-new-elsewhere"));
            Assert.That(Ids(afterRebuild), Does.Not.Contain("t-cbt-ny"), "both weekly places were taken on the other replica");
        });
    }

    [Test]
    public async Task A_listing_unlisted_here_stays_unlisted_through_a_rebuild_and_a_relisted_one_comes_back()
    {
        Assert.That((await _data.PostAsync("/v1/therapists/t-cbt-ny/deactivate", null)).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var unlisted = await MatchAsync("c-unlisted");
        await Cache.RebuildAsync(CancellationToken.None);
        var rebuilt = await MatchAsync("c-unlisted-rebuilt");
        Assert.That((await _data.PostAsync("/v1/therapists/t-cbt-ny/reactivate", null)).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var relisted = await MatchAsync("c-relisted");

        Assert.Multiple(() =>
        {
            Assert.That(Ids(unlisted), Does.Not.Contain("t-cbt-ny"));
            Assert.That(Ids(rebuilt), Does.Not.Contain("t-cbt-ny"));
            Assert.That(Ids(relisted), Does.Contain("t-cbt-ny"));
        });
    }

    [Test]
    public async Task A_therapist_listed_again_after_a_rebuild_keeps_the_places_it_used_this_week()
    {
        var match = await MatchAsync("c-used");
        Assert.That((await _directory.PostAsJsonAsync($"/v1/matches/{match["matchId"]}/choice", new { therapistId = "t-cbt-ny" })).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        await _data.PostAsync("/v1/therapists/t-cbt-ny/deactivate", null);
        await Cache.RebuildAsync(CancellationToken.None); // the rebuilt snapshot no longer holds t-cbt-ny at all

        await _data.PostAsync("/v1/therapists/t-cbt-ny/reactivate", null);

        Assert.That((await Cache.GetAsync(CancellationToken.None)).Find("t-cbt-ny")!.CapacityLeft, Is.EqualTo(1), "2 places a week, 1 used before it was unlisted");
    }

    [Test]
    public async Task A_replaced_listing_is_matched_as_replaced_when_the_write_returns()
    {
        var moved = TestDirectory.CbtNy with { LicensedRegions = ["us-ca"] };
        var put = await _data.PutAsJsonAsync("/v1/therapists/t-cbt-ny", moved, MatchingApiFactory.Json);
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());

        var match = await MatchAsync("c-moved");

        Assert.That(Ids(match), Does.Not.Contain("t-cbt-ny"));
        Assert.That((int)match["excludedBy"]!["region"]!, Is.EqualTo(2), "t-cbt-ca and the moved t-cbt-ny");
    }

    [Test]
    public async Task A_rebuild_reads_again_only_the_listings_that_changed_and_sees_their_new_content()
    {
        await Cache.RebuildAsync(CancellationToken.None);
        var before = await Cache.GetAsync(CancellationToken.None);
        _factory.Clock.Now += TimeSpan.FromMinutes(1); // the listing's updated_at moves on
        await _factory.Services.GetRequiredService<TherapistStore>().UpsertAsync(TestDirectory.EmdrNy with { LicensedRegions = ["us-ca"] });

        await Cache.RebuildAsync(CancellationToken.None);
        var after = await Cache.GetAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(after.Find("t-cbt-ny")!.Profile, Is.SameAs(before.Find("t-cbt-ny")!.Profile), "unchanged: not read again");
            Assert.That(after.Find("t-emdr-ny")!.Profile, Is.Not.SameAs(before.Find("t-emdr-ny")!.Profile));
            Assert.That(after.Find("t-emdr-ny")!.Profile.LicensedRegions, Is.EqualTo(new[] { "us-ca" }), "changed elsewhere: read again");
            Assert.That(after.ListedCount, Is.EqualTo(before.ListedCount));
        });
    }

    [Test]
    public async Task A_rebuild_does_not_read_again_the_listings_this_replica_wrote()
    {
        await Cache.RebuildAsync(CancellationToken.None);
        _factory.Clock.Now += TimeSpan.FromMinutes(1);
        var put = await _data.PutAsJsonAsync("/v1/therapists/t-cbt-ny", TestDirectory.CbtNy with { Fee = 95m }, MatchingApiFactory.Json);
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());
        var imported = await _data.PostAsJsonAsync("/v1/therapists/import",
            new { therapists = new[] { TestDirectory.Profile("t-new-ny"), TestDirectory.EmdrNy with { Fee = 80m } } }, MatchingApiFactory.Json);
        Assert.That(imported.StatusCode, Is.EqualTo(HttpStatusCode.OK), await imported.Content.ReadAsStringAsync());
        var written = await Cache.GetAsync(CancellationToken.None);

        await Cache.RebuildAsync(CancellationToken.None);
        var rebuilt = await Cache.GetAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            foreach (var id in new[] { "t-cbt-ny", "t-new-ny", "t-emdr-ny" })
            {
                Assert.That(rebuilt.Find(id)!.Profile, Is.SameAs(written.Find(id)!.Profile), $"{id}: written here, not read again");
            }

            Assert.That(rebuilt.Find("t-cbt-ny")!.Profile.Fee, Is.EqualTo(95m));
            Assert.That(rebuilt.IsListed("t-new-ny"), Is.True);
        });

        // The same listing written since by another replica (straight through the store) is read again.
        _factory.Clock.Now += TimeSpan.FromMinutes(1);
        await _factory.Services.GetRequiredService<TherapistStore>().UpsertAsync(TestDirectory.CbtNy with { Fee = 70m });
        await Cache.RebuildAsync(CancellationToken.None);
        Assert.That((await Cache.GetAsync(CancellationToken.None)).Find("t-cbt-ny")!.Profile.Fee, Is.EqualTo(70m));
    }

    [Test]
    public async Task A_rebuild_adds_only_the_new_ratings_and_reads_them_all_again_after_an_erasure()
    {
        var feedback = _factory.Services.GetRequiredService<FeedbackStore>();
        var kept = Guid.Parse((string)(await MatchAsync("c-kept"))["matchId"]!);
        var erased = Guid.Parse((string)(await MatchAsync("c-erased"))["matchId"]!);
        await Cache.RebuildAsync(CancellationToken.None);
        StoredRating Rating(Guid shortlist, string client, int item) => new(shortlist, client, "t-cbt-ny", AllianceInstrument.Srs, [item, item, item, item], 2,
            AllianceScale.FromItems(AllianceInstrument.Srs, [item, item, item, item]), _factory.Clock.GetUtcNow());

        // Stored by other replicas (straight through the store): followed, not aggregated again.
        // The erased client's rating is not the newest, so the newest rating's number stays.
        await feedback.SaveManyAsync([Rating(erased, "c-erased", 4), Rating(kept, "c-kept", 9)], []);
        await Cache.RebuildAsync(CancellationToken.None);
        var followed = Cache.LastRebuild!;
        var track = (await Cache.GetAsync(CancellationToken.None)).Find("t-cbt-ny")!.Track;
        var stored = (await feedback.TrackRecordsAsync(_factory.Clock.GetUtcNow()))["t-cbt-ny"];

        // The erasure rebuilds the snapshot itself before it answers.
        var erasure = await _data.DeleteAsync("/v1/clients/c-erased");
        Assert.That(erasure.IsSuccessStatusCode, Is.True, await erasure.Content.ReadAsStringAsync());
        var reread = Cache.LastRebuild!;
        var afterErasure = (await Cache.GetAsync(CancellationToken.None)).Find("t-cbt-ny")!.Track;

        Assert.Multiple(() =>
        {
            Assert.That(followed.RatingsFollowed, Is.EqualTo(2));
            Assert.That(track.Ratings, Is.EqualTo(2));
            Assert.That(track.MeanAlliance, Is.EqualTo(stored.MeanAlliance).Within(1e-12), "the same as the database's own aggregate");
            Assert.That(track.ByGoal[Goal.Panic], Is.EqualTo(stored.ByGoal[Goal.Panic]).Using<(int, double)>((a, b) => a.Item1 == b.Item1 && Math.Abs(a.Item2 - b.Item2) < 1e-12));
            Assert.That(reread.RatingsFollowed, Is.Null, "an erasure deletes ratings: every rating is read again");
            Assert.That(afterErasure.Ratings, Is.EqualTo(1), "the erased client's rating no longer counts");
            Assert.That(afterErasure.MeanAlliance, Is.EqualTo(AllianceScale.FromItems(AllianceInstrument.Srs, [9, 9, 9, 9]).Overall).Within(1e-12));
        });
    }
}
