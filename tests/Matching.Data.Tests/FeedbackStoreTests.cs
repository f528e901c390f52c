using Dapper;
using Matching.Engine.Domain;

namespace Matching.Data.Tests;

[TestFixture(DatabaseEngine.Sqlite)]
[TestFixture(DatabaseEngine.SqlServer)]
public class FeedbackStoreTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private FeedbackStore Store => new(Db);

    private ShortlistStore Shortlists => new(Db);

    [Test]
    public async Task A_rating_is_stored_against_the_shortlist_client()
    {
        var shortlist = await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1", "t-2");
        int[] items = [4, 4, 5, 3, 4, 3, 4, 3, 4, 4, 3, 4];
        var score = AllianceScale.FromItems(AllianceInstrument.WaiSr, items);

        var result = await Store.AddRatingAsync(shortlist.Id, "t-2", AllianceInstrument.WaiSr, items, sessionNumber: 3, score, Clock.GetUtcNow());

        Assert.That(result, Is.EqualTo(FeedbackResult.Recorded));
        var row = await Db.RunAsync((c, ct) => c.QuerySingleAsync<RatingRow>(new CommandDefinition(
            """
            SELECT client_id AS ClientId, therapist_id AS TherapistId, instrument AS Instrument, items_json AS ItemsJson,
              session_number AS SessionNumber, goal AS Goal, task AS Task, bond AS Bond, overall AS Overall, rated_at AS RatedAt
            FROM alliance_rating
            """,
            cancellationToken: ct)), default);
        Assert.That(row, Is.EqualTo(new RatingRow
        {
            ClientId = "c-1",
            TherapistId = "t-2",
            Instrument = "waiSr",
            ItemsJson = "[4,4,5,3,4,3,4,3,4,4,3,4]",
            SessionNumber = 3,
            Goal = score.Goal,
            Task = score.Task,
            Bond = score.Bond,
            Overall = score.Overall,
            RatedAt = ManualClock.Start.UtcDateTime,
        }));
    }

    [Test]
    public async Task A_rating_from_subscales_is_stored_without_items()
    {
        var shortlist = await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1");

        var result = await Store.AddRatingAsync(shortlist.Id, "t-1", AllianceInstrument.Srs, items: null, sessionNumber: 1, new AllianceScore(0.5, 0.6, 0.7), Clock.GetUtcNow());

        Assert.That(result, Is.EqualTo(FeedbackResult.Recorded));
        Assert.That(await CountAsync("alliance_rating", "WHERE items_json IS NULL AND instrument = 'srs'"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_rating_for_an_unknown_shortlist_is_refused()
    {
        await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1");

        var result = await Store.AddRatingAsync(Guid.NewGuid(), "t-1", AllianceInstrument.WaiSr, null, 1, new AllianceScore(1, 1, 1), Clock.GetUtcNow());

        Assert.That(result, Is.EqualTo(FeedbackResult.ShortlistNotFound));
        Assert.That(await CountAsync("alliance_rating"), Is.Zero);
    }

    [Test]
    public async Task A_rating_for_a_therapist_not_on_the_shortlist_is_refused()
    {
        var shortlist = await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1");
        await SaveShortlistAsync("c-2", Goal.Anxiety, "t-2");

        var result = await Store.AddRatingAsync(shortlist.Id, "t-2", AllianceInstrument.WaiSr, null, 1, new AllianceScore(1, 1, 1), Clock.GetUtcNow());

        Assert.That(result, Is.EqualTo(FeedbackResult.NotOnShortlist));
        Assert.That(await CountAsync("alliance_rating"), Is.Zero);
    }

    [TestCase(OutcomeKind.Dropout, 2, "dropout")]
    [TestCase(OutcomeKind.Rematch, null, "rematch")]
    [TestCase(OutcomeKind.Completed, 12, "completed")]
    public async Task An_outcome_is_stored_against_the_shortlist_client(OutcomeKind kind, int? session, string storedKind)
    {
        var shortlist = await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1");

        var result = await Store.AddOutcomeAsync(shortlist.Id, "t-1", kind, session, Clock.GetUtcNow());

        Assert.That(result, Is.EqualTo(FeedbackResult.Recorded));
        var sessionFilter = session is null ? "session_number IS NULL" : $"session_number = {session}";
        Assert.That(await CountAsync("outcome_event", $"WHERE client_id = 'c-1' AND therapist_id = 't-1' AND kind = '{storedKind}' AND {sessionFilter}"), Is.EqualTo(1));
    }

    [Test]
    public async Task An_outcome_needs_the_therapist_on_an_existing_shortlist()
    {
        var shortlist = await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1");

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await Store.AddOutcomeAsync(Guid.NewGuid(), "t-1", OutcomeKind.Dropout, 1, Clock.GetUtcNow()), Is.EqualTo(FeedbackResult.ShortlistNotFound));
            Assert.That(await Store.AddOutcomeAsync(shortlist.Id, "t-9", OutcomeKind.Dropout, 1, Clock.GetUtcNow()), Is.EqualTo(FeedbackResult.NotOnShortlist));
            Assert.That(await CountAsync("outcome_event"), Is.Zero);
        });
    }

    [Test]
    public async Task Track_records_aggregate_overall_and_by_first_goal()
    {
        var anxiety = await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1", "t-2");
        var anxiety2 = await SaveShortlistAsync("c-2", Goal.Anxiety, "t-1");
        var depression = await SaveShortlistAsync("c-3", Goal.Depression, "t-1");
        var noGoal = await SaveShortlistAsync("c-4", null, "t-2");
        await RateAsync(anxiety, "t-1", 0.6);
        await RateAsync(anxiety2, "t-1", 0.8);
        await RateAsync(depression, "t-1", 0.9);
        await RateAsync(anxiety, "t-2", 0.5);
        await RateAsync(noGoal, "t-2", 0.7);

        var records = await Store.TrackRecordsAsync(Clock.GetUtcNow().AddSeconds(1));

        Assert.That(records.Keys, Is.EquivalentTo(new[] { "t-1", "t-2" }));
        Assert.Multiple(() =>
        {
            Assert.That(records["t-1"].Ratings, Is.EqualTo(3));
            Assert.That(records["t-1"].MeanAlliance, Is.EqualTo((0.6 + 0.8 + 0.9) / 3).Within(1e-9));
            Assert.That(records["t-1"].ByGoal.Keys, Is.EquivalentTo(new[] { Goal.Anxiety, Goal.Depression }));
            Assert.That(records["t-1"].ByGoal[Goal.Anxiety].Ratings, Is.EqualTo(2));
            Assert.That(records["t-1"].ByGoal[Goal.Anxiety].MeanAlliance, Is.EqualTo(0.7).Within(1e-9));
            Assert.That(records["t-1"].ByGoal[Goal.Depression].Ratings, Is.EqualTo(1));
            Assert.That(records["t-1"].ByGoal[Goal.Depression].MeanAlliance, Is.EqualTo(0.9).Within(1e-9));
            // A request without goals counts overall only.
            Assert.That(records["t-2"].Ratings, Is.EqualTo(2));
            Assert.That(records["t-2"].MeanAlliance, Is.EqualTo(0.6).Within(1e-9));
            Assert.That(records["t-2"].ByGoal.Keys, Is.EqualTo(new[] { Goal.Anxiety }));
        });
    }

    [Test]
    public async Task Ratings_are_followed_by_number_and_adding_them_up_gives_the_aggregate()
    {
        var anxiety = await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1", "t-2");
        var noGoal = await SaveShortlistAsync("c-2", null, "t-1");
        Assert.That(await Store.RatingMarksAsync(), Is.EqualTo((0L, 0L)), "nothing stored yet");
        await RateAsync(anxiety, "t-1", 0.6);
        var (first, erasures) = await Store.RatingMarksAsync();
        await RateAsync(noGoal, "t-1", 0.8);
        await RateAsync(anxiety, "t-2", 0.5);
        var (last, _) = await Store.RatingMarksAsync();

        var between = await Store.RatingsBetweenAsync(first, last);
        var upToFirst = await Store.TrackRecordsAsync(Clock.GetUtcNow().AddSeconds(1), first);
        var followed = between.Aggregate(upToFirst.ToDictionary(), (tracks, r) =>
        {
            tracks[r.TherapistId] = (tracks.GetValueOrDefault(r.TherapistId) ?? Matching.Engine.Matching.TrackRecord.None).With(r.FirstGoal, r.Overall);
            return tracks;
        });
        var all = await Store.TrackRecordsAsync(Clock.GetUtcNow().AddSeconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(erasures, Is.Zero);
            Assert.That(between, Has.Count.EqualTo(2), "the two stored after the first mark, in order");
            Assert.That(between[0].FirstGoal, Is.Null, "the shortlist without goals");
            Assert.That(between[1].FirstGoal, Is.EqualTo(Goal.Anxiety));
            Assert.That(upToFirst["t-1"].Ratings, Is.EqualTo(1), "the aggregate stops at the mark");
            Assert.That(upToFirst.ContainsKey("t-2"), Is.False);
            foreach (var id in new[] { "t-1", "t-2" })
            {
                Assert.That(followed[id].Ratings, Is.EqualTo(all[id].Ratings));
                Assert.That(followed[id].MeanAlliance, Is.EqualTo(all[id].MeanAlliance).Within(1e-12));
                Assert.That(followed[id].ByGoal.Keys, Is.EquivalentTo(all[id].ByGoal.Keys));
            }
        });
    }

    [Test]
    public async Task Track_records_count_only_ratings_made_up_to_the_moment_asked()
    {
        var shortlist = await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1", "t-2");
        var cutOff = ManualClock.Start.AddDays(1);
        await Store.SaveManyAsync(
            [
                Rating(shortlist, "t-1", 0.4, cutOff.AddSeconds(-1)),
                Rating(shortlist, "t-1", 1.0, cutOff), // at the moment asked: known
                Rating(shortlist, "t-1", 1.0, cutOff.AddDays(3)),
                Rating(shortlist, "t-2", 1.0, cutOff.AddMinutes(1)),
            ],
            []);

        var records = await Store.TrackRecordsAsync(cutOff);

        Assert.That(records.Keys, Is.EqualTo(new[] { "t-1" }));
        Assert.Multiple(() =>
        {
            Assert.That(records["t-1"].Ratings, Is.EqualTo(2));
            Assert.That(records["t-1"].MeanAlliance, Is.EqualTo(0.7).Within(1e-9));
            Assert.That(records["t-1"].ByGoal[Goal.Anxiety].Ratings, Is.EqualTo(2));
            Assert.That(records["t-1"].ByGoal[Goal.Anxiety].MeanAlliance, Is.EqualTo(0.7).Within(1e-9));
        });
        Assert.That(await Store.TrackRecordsAsync(ManualClock.Start), Is.Empty);
    }

    [Test]
    public async Task SaveMany_stores_ratings_and_outcomes_all_or_none()
    {
        var shortlist = await SaveShortlistAsync("c-1", Goal.Anxiety, "t-1");
        var missing = shortlist with { Id = Guid.NewGuid() }; // never saved: its ratings break the foreign key

        Assert.That(
            () => Store.SaveManyAsync(
                [Rating(shortlist, "t-1", 0.5, Clock.GetUtcNow())],
                [new StoredOutcome(missing.Id, "c-1", "t-1", OutcomeKind.Dropout, 1, Clock.GetUtcNow())]),
            Throws.InstanceOf<System.Data.Common.DbException>());

        Assert.That(await CountAsync("alliance_rating"), Is.Zero);
    }

    private async Task<Shortlist> SaveShortlistAsync(string clientId, Goal? firstGoal, params string[] therapistIds)
    {
        var shortlist = Sample.Shortlist(clientId, Clock.GetUtcNow(), firstGoal, therapistIds);
        await Shortlists.SaveAsync(shortlist);
        return shortlist;
    }

    private async Task RateAsync(Shortlist shortlist, string therapistId, double overall) =>
        Assert.That(
            await Store.AddRatingAsync(shortlist.Id, therapistId, AllianceInstrument.WaiSr, null, 1, new AllianceScore(overall, overall, overall), Clock.GetUtcNow()),
            Is.EqualTo(FeedbackResult.Recorded));

    private static StoredRating Rating(Shortlist shortlist, string therapistId, double overall, DateTimeOffset at) =>
        new(shortlist.Id, shortlist.ClientId, therapistId, AllianceInstrument.WaiSr, null, 1, new AllianceScore(overall, overall, overall), at);

    private sealed record RatingRow
    {
        public string ClientId { get; init; } = "";

        public string TherapistId { get; init; } = "";

        public string Instrument { get; init; } = "";

        public string? ItemsJson { get; init; }

        public int SessionNumber { get; init; }

        public double Goal { get; init; }

        public double Task { get; init; }

        public double Bond { get; init; }

        public double Overall { get; init; }

        public DateTime RatedAt { get; init; }
    }
}
