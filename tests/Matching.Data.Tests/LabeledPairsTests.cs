using Matching.Engine.Domain;
using Matching.Engine.Learning;
using Matching.Engine.Matching;

namespace Matching.Data.Tests;

/// <summary><see cref="FeedbackStore.LabeledPairsAsync"/> on hand-made histories, one rule at a time.</summary>
[TestFixture(DatabaseEngine.Sqlite)]
[TestFixture(DatabaseEngine.SqlServer)]
public class LabeledPairsTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private static readonly DateTimeOffset Later = ManualClock.Start.AddDays(365);

    private FeedbackStore Store => new(Db);

    private ShortlistStore Shortlists => new(Db);

    [Test]
    public async Task A_shortlist_without_a_choice_gives_no_pair()
    {
        await SaveAsync("c-1", Goal.Anxiety, "t-1", "t-2");

        Assert.That(await Store.LabeledPairsAsync(Later), Is.Empty);
    }

    [Test]
    public async Task A_choice_without_feedback_is_a_pair_with_no_label_yet()
    {
        var shortlist = await SaveAsync("c-1", Goal.Trauma, "t-1", "t-2", "t-3");
        await ChooseAsync(shortlist, "t-2");

        var pair = (await Store.LabeledPairsAsync(Later)).Single();

        Assert.That(pair.ShortlistId, Is.EqualTo(shortlist.Id));
        Assert.That(pair.ClientId, Is.EqualTo("c-1"));
        Assert.That(pair.TherapistId, Is.EqualTo("t-2"));
        Assert.That(pair.ShownAt, Is.EqualTo(shortlist.CreatedAt));
        Assert.That(pair.FirstGoal, Is.EqualTo(Goal.Trauma));
        Assert.That(pair.Features, Is.EqualTo(shortlist.Items[1].Features), "the chosen therapist's features, not the first item's");
        Assert.That(pair.Alliance, Is.Null);
        Assert.That(pair.DropoutSession, Is.Null);
        Assert.That(pair.Rematched, Is.False);
        Assert.That(AllianceLabel.Grade(pair), Is.Null);
    }

    [Test]
    public async Task A_request_without_goals_has_no_first_goal()
    {
        var shortlist = await SaveAsync("c-1", null, "t-1");
        await ChooseAsync(shortlist, "t-1");

        Assert.That((await Store.LabeledPairsAsync(Later)).Single().FirstGoal, Is.Null);
    }

    [Test]
    public async Task The_alliance_is_the_overall_of_the_earliest_rating_by_session_then_time()
    {
        var shortlist = await SaveAsync("c-1", Goal.Anxiety, "t-1");
        await ChooseAsync(shortlist, "t-1");
        await Store.SaveManyAsync(
            [
                Rating(shortlist, "t-1", session: 6, overall: 0.9, ManualClock.Start.AddDays(1)),
                Rating(shortlist, "t-1", session: 3, overall: 0.6, ManualClock.Start.AddDays(2)),
                Rating(shortlist, "t-1", session: 3, overall: 0.7, ManualClock.Start.AddDays(3)),
            ],
            []);

        Assert.That((await Store.LabeledPairsAsync(Later)).Single().Alliance, Is.EqualTo(0.6).Within(1e-12));
    }

    [Test]
    public async Task Feedback_on_other_matches_does_not_leak_into_a_pair()
    {
        var mine = await SaveAsync("c-1", Goal.Anxiety, "t-1", "t-2");
        var theirs = await SaveAsync("c-2", Goal.Anxiety, "t-1");
        await ChooseAsync(mine, "t-1");
        await ChooseAsync(theirs, "t-1");
        await Store.SaveManyAsync(
            [Rating(mine, "t-2", 3, 0.2, ManualClock.Start.AddDays(1)), Rating(theirs, "t-1", 3, 0.95, ManualClock.Start.AddDays(1))],
            [Outcome(mine, "t-2", OutcomeKind.Dropout, 1), Outcome(mine, "t-2", OutcomeKind.Rematch, 1), Outcome(theirs, "t-1", OutcomeKind.Dropout, 4)]);

        var pairs = (await Store.LabeledPairsAsync(Later)).ToDictionary(p => p.ShortlistId);

        Assert.That(pairs[mine.Id].Alliance, Is.Null);
        Assert.That(pairs[mine.Id].DropoutSession, Is.Null);
        Assert.That(pairs[mine.Id].Rematched, Is.False);
        Assert.That(pairs[theirs.Id].Alliance, Is.EqualTo(0.95).Within(1e-12));
        Assert.That(pairs[theirs.Id].DropoutSession, Is.EqualTo(4));
    }

    [TestCase(new[] { OutcomeKind.Completed }, new[] { 8 }, null, false)]
    [TestCase(new[] { OutcomeKind.Dropout }, new[] { 2 }, 2, false)]
    [TestCase(new[] { OutcomeKind.Dropout, OutcomeKind.Rematch }, new[] { 1, 1 }, 1, true)]
    [TestCase(new[] { OutcomeKind.Rematch }, new[] { 2 }, null, true)]
    [TestCase(new[] { OutcomeKind.Dropout, OutcomeKind.Dropout }, new[] { 5, 2 }, 2, false)]
    [TestCase(new[] { OutcomeKind.Rematch, OutcomeKind.Rematch }, new[] { 1, 2 }, null, true)]
    public async Task Outcomes_give_the_first_dropout_session_and_whether_a_rematch_was_asked(OutcomeKind[] kinds, int[] sessions, int? dropoutSession, bool rematched)
    {
        var shortlist = await SaveAsync("c-1", Goal.Anxiety, "t-1");
        await ChooseAsync(shortlist, "t-1");
        await Store.SaveManyAsync([], [.. kinds.Select((k, i) => Outcome(shortlist, "t-1", k, sessions[i]))]);

        var pair = (await Store.LabeledPairsAsync(Later)).Single();

        Assert.That(pair.DropoutSession, Is.EqualTo(dropoutSession));
        Assert.That(pair.Rematched, Is.EqualTo(rematched));
    }

    [Test]
    public async Task Feedback_given_after_the_moment_asked_is_not_known_then()
    {
        var asOf = ManualClock.Start.AddDays(30);
        var shortlist = await SaveAsync("c-1", Goal.Anxiety, "t-1");
        await ChooseAsync(shortlist, "t-1");
        await Store.SaveManyAsync(
            [Rating(shortlist, "t-1", 3, 0.8, asOf.AddSeconds(1))],
            [
                new StoredOutcome(shortlist.Id, "c-1", "t-1", OutcomeKind.Dropout, 5, asOf.AddSeconds(1)),
                new StoredOutcome(shortlist.Id, "c-1", "t-1", OutcomeKind.Rematch, 5, asOf.AddDays(1)),
            ]);

        var then = (await Store.LabeledPairsAsync(asOf)).Single();
        var now = (await Store.LabeledPairsAsync(asOf.AddDays(1))).Single();

        Assert.That((then.Alliance, then.DropoutSession, then.Rematched), Is.EqualTo(((double?)null, (int?)null, false)));
        Assert.That((now.Alliance, now.DropoutSession, now.Rematched), Is.EqualTo(((double?)new AllianceScore(0.8, 0.8, 0.8).Overall, (int?)5, true)));
    }

    [Test]
    public async Task Feedback_given_at_the_moment_asked_is_known()
    {
        var asOf = ManualClock.Start.AddDays(30);
        var shortlist = await SaveAsync("c-1", Goal.Anxiety, "t-1");
        await ChooseAsync(shortlist, "t-1");
        await Store.SaveManyAsync(
            [Rating(shortlist, "t-1", 3, 0.8, asOf)],
            [new StoredOutcome(shortlist.Id, "c-1", "t-1", OutcomeKind.Dropout, 5, asOf)]);

        var pair = (await Store.LabeledPairsAsync(asOf)).Single();

        Assert.That(pair.Alliance, Is.EqualTo(0.8).Within(1e-12));
        Assert.That(pair.DropoutSession, Is.EqualTo(5));
    }

    [Test]
    public async Task Only_shortlists_shown_by_the_moment_asked_count_in_the_order_shown()
    {
        var second = await SaveAsync("c-2", Goal.Anxiety, ManualClock.Start.AddDays(2), "t-1");
        var first = await SaveAsync("c-1", Goal.Anxiety, ManualClock.Start, "t-1");
        var third = await SaveAsync("c-3", Goal.Anxiety, ManualClock.Start.AddDays(4), "t-1");
        foreach (var s in new[] { first, second, third })
        {
            await ChooseAsync(s, "t-1");
        }

        var pairs = await Store.LabeledPairsAsync(ManualClock.Start.AddDays(2));

        Assert.That(pairs.Select(p => p.ShortlistId), Is.EqualTo(new[] { first.Id, second.Id }));
    }

    [Test]
    public async Task Shortlists_logged_under_another_feature_schema_are_left_out()
    {
        var current = await SaveAsync("c-1", Goal.Anxiety, "t-1");
        var old = Sample.Shortlist("c-2", ManualClock.Start, Goal.Anxiety, "t-1") with { FeatureSchema = "pair-features/0" };
        await Shortlists.SaveAsync(old);
        await ChooseAsync(current, "t-1");
        await ChooseAsync(old, "t-1");

        var pairs = await Store.LabeledPairsAsync(Later);

        Assert.That(pairs.Select(p => p.ShortlistId), Is.EqualTo(new[] { current.Id }));
        Assert.That(pairs.Select(p => p.Features.Length), Is.All.EqualTo(PairFeatures.Count));
    }

    private Task<Shortlist> SaveAsync(string clientId, Goal? firstGoal, params string[] therapistIds) =>
        SaveAsync(clientId, firstGoal, ManualClock.Start, therapistIds);

    /// <summary>A shortlist whose items each log different features, so a pair's features show which item it came from.</summary>
    private async Task<Shortlist> SaveAsync(string clientId, Goal? firstGoal, DateTimeOffset at, params string[] therapistIds)
    {
        var shortlist = Sample.Shortlist(clientId, at, firstGoal, therapistIds);
        shortlist = shortlist with
        {
            Items = [.. shortlist.Items.Select(i => i with { Features = [.. i.Features.Select(f => (f + i.Position) / 10f)] })],
        };
        await Shortlists.SaveAsync(shortlist);
        return shortlist;
    }

    private async Task ChooseAsync(Shortlist shortlist, string therapistId) =>
        Assert.That(await Shortlists.RecordChoiceAsync(shortlist.Id, therapistId, shortlist.CreatedAt.AddHours(1)), Is.EqualTo(ChoiceResult.Recorded));

    private static StoredRating Rating(Shortlist shortlist, string therapistId, int session, double overall, DateTimeOffset at) =>
        new(shortlist.Id, shortlist.ClientId, therapistId, AllianceInstrument.WaiSr, null, session, new AllianceScore(overall, overall, overall), at);

    private static StoredOutcome Outcome(Shortlist shortlist, string therapistId, OutcomeKind kind, int session) =>
        new(shortlist.Id, shortlist.ClientId, therapistId, kind, session, ManualClock.Start.AddDays(20 + session));
}
