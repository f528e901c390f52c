using Dapper;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Data.Tests;

/// <summary>
/// A small simulated world written through <see cref="SimulatedHistory"/> into a real database,
/// then read back through the stores the training and evaluation pipeline use.
/// </summary>
[TestFixture(DatabaseEngine.Sqlite)]
[TestFixture(DatabaseEngine.SqlServer)]
public class SimulatedHistoryTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private static readonly Lazy<SimulationResult> LazyWorld = new(() => Simulator.Run(new SimulationOptions { Therapists = 40, Clients = 500, Seed = 5, Weeks = 12 }));

    private static SimulationResult World => LazyWorld.Value;

    private (int Therapists, int Shortlists, int Choices, int Ratings, int Outcomes) _written;

    private ShortlistStore Shortlists => new(Db);

    private FeedbackStore Feedback => new(Db);

    [SetUp]
    public async Task WriteTheWorld() =>
        _written = await SimulatedHistory.WriteAsync(World, new TherapistStore(Db, Clock), Shortlists, Feedback);

    [Test]
    public async Task Every_table_holds_what_the_world_holds()
    {
        var expected = (World.Therapists.Count, World.Shortlists.Count, World.Choices.Count, World.Ratings.Count, World.Outcomes.Count);

        Assert.That(_written, Is.EqualTo(expected));
        Assert.That(World.Choices, Has.Count.GreaterThan(100));
        Assert.That(World.Ratings, Has.Count.GreaterThan(AlliancePrior.MinimumRatings), "enough for the later shortlists to log a measured prior");
        Assert.That(World.Outcomes.Count(o => o.Kind == OutcomeKind.Rematch), Is.Positive, "the world should include rematches");
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await CountAsync("therapist"), Is.EqualTo(World.Therapists.Count));
            Assert.That(await Shortlists.CountAsync(), Is.EqualTo(World.Shortlists.Count));
            Assert.That(await CountAsync("shortlist_item"), Is.EqualTo(World.Shortlists.Sum(s => s.Items.Count)));
            Assert.That(await CountAsync("choice"), Is.EqualTo(World.Choices.Count));
            Assert.That(await CountAsync("alliance_rating"), Is.EqualTo(World.Ratings.Count));
            Assert.That(await CountAsync("alliance_rating", "WHERE instrument = 'waiSr' AND session_number = 3"), Is.EqualTo(World.Ratings.Count));
            foreach (var kind in Enum.GetValues<OutcomeKind>())
            {
                Assert.That(
                    await CountAsync("outcome_event", "WHERE kind = @Kind", new { Kind = DomainJson.Name(kind) }),
                    Is.EqualTo(World.Outcomes.Count(o => o.Kind == kind)),
                    kind.ToString());
            }
        });
    }

    [Test]
    public async Task Every_stored_item_has_the_schemas_sixteen_features_in_the_unit_interval()
    {
        var rows = await QueryAsync<(string Schema, string Features)>(
            "SELECT s.feature_schema AS Schema, i.features AS Features FROM shortlist_item i JOIN shortlist s ON s.id = i.shortlist_id");
        var features = rows.Select(r => Parse(r.Features)).ToList();

        Assert.That(rows, Has.Count.EqualTo(World.Shortlists.Sum(s => s.Items.Count)));
        Assert.That(rows.Select(r => r.Schema), Is.All.EqualTo(PairFeatures.SchemaVersion));
        Assert.That(features.Select(f => f.Length), Is.All.EqualTo(PairFeatures.Count));
        Assert.That(features.SelectMany(f => f), Is.All.InRange(0f, 1f));
    }

    [Test]
    public async Task Every_stored_item_has_its_logging_policys_propensity()
    {
        var rows = await QueryAsync<(string ShortlistId, int Position, double? Propensity)>(
            "SELECT shortlist_id AS ShortlistId, position AS Position, propensity AS Propensity FROM shortlist_item");
        var logged = World.Shortlists.SelectMany(s => s.Items.Select(i => (s.ShortlistId.ToString(), i.Position, i.Propensity)))
            .ToDictionary(x => (x.Item1, x.Position), x => x.Propensity);

        Assert.That(rows.Select(r => r.Propensity), Is.All.Not.Null.And.All.InRange(double.Epsilon, 1.0));
        Assert.That(rows.Select(r => r.Propensity), Is.EqualTo(rows.Select(r => logged[(r.ShortlistId, r.Position)])));
    }

    [Test]
    public async Task No_logged_item_shows_a_therapist_without_a_place_that_week()
    {
        // The simulator shortlists only therapists with a place left in the week the client asked,
        // and charges the place to that week; the log must agree, as the live service would.
        var rows = await QueryAsync<(string Schema, string Features)>(
            "SELECT s.feature_schema AS Schema, i.features AS Features FROM shortlist_item i JOIN shortlist s ON s.id = i.shortlist_id");

        Assert.That(rows.Select(r => Parse(r.Features)[PairFeatures.Index.CapacityLeft]), Is.All.GreaterThan(0f));
    }

    [Test]
    public async Task A_stored_shortlist_is_the_simulated_one_with_its_request_and_choice()
    {
        var choices = World.Choices.ToDictionary(c => c.ShortlistId);
        var clients = World.Clients.ToDictionary(c => c.ClientId);
        foreach (var simulated in World.Shortlists.Where((_, i) => i % 25 == 0))
        {
            var loaded = await Shortlists.GetAsync(simulated.ShortlistId);

            Assert.That(loaded, Is.Not.Null);
            var (shortlist, chosen) = loaded!.Value;
            Assert.That(shortlist.ClientId, Is.EqualTo(simulated.ClientId));
            Assert.That(shortlist.CreatedAt, Is.EqualTo(simulated.CreatedAt));
            Assert.That(shortlist.ModelVersion, Is.EqualTo($"simulated:{World.Policy}"));
            Assert.That(shortlist.Request, Is.EqualTo(clients[simulated.ClientId]).UsingPropertiesComparer());
            Assert.That(shortlist.Items.Select(i => (i.Position, i.TherapistId)), Is.EqualTo(simulated.Items.Select(i => (i.Position, i.TherapistId))));
            Assert.That(chosen, Is.EqualTo(choices.GetValueOrDefault(simulated.ShortlistId)?.TherapistId));
        }
    }

    [Test]
    public async Task Shortlists_shown_before_any_rating_carry_the_prior_track_record()
    {
        var firstRating = World.Ratings.Min(r => r.At);
        var items = await ItemsAsync();
        var early = items.Where(i => i.CreatedAt < firstRating).ToList();
        var late = items.Where(i => i.CreatedAt > firstRating).ToList();

        var fallback = (float)AlliancePrior.Fallback.Mean;
        Assert.That(early, Is.Not.Empty);
        Assert.That(early.Select(i => i.Features[PairFeatures.Index.TrackAlliance]), Is.All.EqualTo(fallback));
        Assert.That(early.Select(i => i.Features[PairFeatures.Index.TrackGoalAlliance]), Is.All.EqualTo(fallback));
        Assert.That(early.Select(i => i.Features[PairFeatures.Index.TrackVolume]), Is.All.Zero);
        Assert.That(late.Count(i => i.Features[PairFeatures.Index.TrackAlliance] != fallback), Is.GreaterThan(late.Count / 10));
        Assert.That(late.Count(i => i.Features[PairFeatures.Index.TrackVolume] > 0), Is.GreaterThan(late.Count / 10));
    }

    [Test]
    public async Task Logged_track_features_are_those_the_store_reports_at_that_moment()
    {
        // The history keeps its own running track record and prior; the service would read the
        // store's. They must agree. The prior is derived here by hand from the stored ratings:
        // their plain mean once there are enough of them, the fallback before.
        var clients = World.Clients.ToDictionary(c => c.ClientId);
        var profiles = World.Therapists.ToDictionary(t => t.Id);
        var computed = new float[PairFeatures.Count];
        int compared = 0, measured = 0;
        foreach (var simulated in World.Shortlists.Where((_, i) => i % 4 == 1))
        {
            var tracks = await Feedback.TrackRecordsAsync(simulated.CreatedAt);
            var (count, mean) = await Db.RunAsync((c, ct) => c.QuerySingleAsync<(int Count, double? Mean)>(new CommandDefinition(
                "SELECT COUNT(*) AS Count, AVG(overall) AS Mean FROM alliance_rating WHERE rated_at <= @At", new { At = simulated.CreatedAt.UtcDateTime }, cancellationToken: ct)), default);
            var prior = count >= AlliancePrior.MinimumRatings ? new AlliancePrior(mean!.Value, count) : AlliancePrior.Fallback;
            measured += count >= AlliancePrior.MinimumRatings ? 1 : 0;
            var (shortlist, _) = (await Shortlists.GetAsync(simulated.ShortlistId))!.Value;
            foreach (var item in shortlist.Items)
            {
                var profile = profiles[item.TherapistId];
                PairFeatures.Compute(clients[simulated.ClientId], new Candidate(profile, profile.WeeklyNewClientCapacity, tracks.GetValueOrDefault(item.TherapistId) ?? TrackRecord.None),
                    prior, computed);
                int[] track = [PairFeatures.Index.TrackAlliance, PairFeatures.Index.TrackVolume, PairFeatures.Index.TrackGoalAlliance];
                Assert.That(track.Select(f => item.Features[f]), Is.EqualTo(track.Select(f => computed[f])).Within(1e-6f), $"{simulated.ShortlistId} {item.TherapistId}");
                compared++;
            }
        }

        Assert.That(compared, Is.GreaterThan(40));
        Assert.That(measured, Is.GreaterThan(5), "shortlists shown once enough ratings were stored for a measured prior");
    }

    [Test]
    public async Task Labeled_pairs_are_one_per_choice_with_the_simulated_feedback()
    {
        var expected = Expected(DateTimeOffset.MaxValue);

        var pairs = await Feedback.LabeledPairsAsync(World.Options.Epoch.AddYears(5));

        Assert.That(pairs.Select(Comparable), Is.EqualTo(expected));
        Assert.That(pairs.Count(p => p.Alliance is not null), Is.EqualTo(World.Ratings.Count));
        Assert.That(pairs.Count(p => p.DropoutSession is not null), Is.EqualTo(World.Outcomes.Count(o => o.Kind == OutcomeKind.Dropout)));
        Assert.That(pairs.Count(p => p.Rematched), Is.EqualTo(World.Outcomes.Count(o => o.Kind == OutcomeKind.Rematch)));
        Assert.That(pairs.Select(p => p.Features.Length), Is.All.EqualTo(PairFeatures.Count));
    }

    [Test]
    public async Task A_labeled_pair_carries_the_features_logged_for_the_chosen_therapist()
    {
        var pairs = await Feedback.LabeledPairsAsync(World.Options.Epoch.AddYears(5));

        var sampled = pairs.Where((_, i) => i % 20 == 0).ToList();
        Assert.That(sampled, Has.Count.GreaterThan(5));
        foreach (var pair in sampled)
        {
            var (shortlist, chosen) = (await Shortlists.GetAsync(pair.ShortlistId))!.Value;
            Assert.That(chosen, Is.EqualTo(pair.TherapistId));
            Assert.That(pair.Features, Is.EqualTo(shortlist.Items.Single(i => i.TherapistId == pair.TherapistId).Features));
        }
    }

    [Test]
    public async Task Labeled_pairs_as_of_a_moment_know_only_the_feedback_given_by_then()
    {
        var asOf = World.Options.Epoch.AddDays(7 * World.Options.Weeks / 2.0);
        var expected = Expected(asOf);
        var everything = Expected(DateTimeOffset.MaxValue);

        var pairs = await Feedback.LabeledPairsAsync(asOf);

        Assert.That(pairs.Select(Comparable), Is.EqualTo(expected));
        Assert.That(pairs.Select(p => p.ShownAt), Is.All.LessThanOrEqualTo(asOf));
        // Meaningful only if the moment hides something: later shortlists, and ratings and outcomes still to come.
        Assert.That(expected, Has.Count.LessThan(everything.Count));
        Assert.That(expected.Count(p => p.Alliance is not null), Is.LessThan(everything.Take(expected.Count).Count(p => p.Alliance is not null)));
        Assert.That(expected.Count(p => p.DropoutSession is not null), Is.LessThan(everything.Take(expected.Count).Count(p => p.DropoutSession is not null)));
    }

    [Test]
    public async Task First_requests_are_those_of_clients_who_first_arrived_in_the_window_in_arrival_order()
    {
        // A window opening just before a rematch, so it holds a request of a client who first came earlier.
        var since = World.Shortlists.First(s => s.IsRematch).CreatedAt.AddHours(-1);
        var until = since.AddDays(21);
        var clients = World.Clients.ToDictionary(c => c.ClientId);
        var first = World.Shortlists.GroupBy(s => s.ClientId).Select(g => g.MinBy(s => s.CreatedAt)!).ToList();
        var expected = first.Where(s => s.CreatedAt >= since && s.CreatedAt < until)
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.ShortlistId.ToString())
            .Select(s => (s.ClientId, s.CreatedAt))
            .ToList();

        var requests = await Shortlists.FirstRequestsAsync(since, until);

        Assert.That(requests.Select(r => (r.Request.ClientId, r.At)), Is.EqualTo(expected));
        Assert.That(requests[0].Request, Is.EqualTo(clients[requests[0].Request.ClientId]).UsingPropertiesComparer());
        // Rematches in the window of clients who first came earlier are not first requests.
        Assert.That(
            World.Shortlists.Count(s => s.IsRematch && s.CreatedAt >= since && s.CreatedAt < until && first.Single(f => f.ClientId == s.ClientId).CreatedAt < since),
            Is.Positive,
            "the window should hold rematches of earlier clients");
    }

    [Test]
    public async Task First_requests_in_an_empty_window_are_none()
    {
        var before = World.Options.Epoch.AddDays(-30);

        Assert.That(await Shortlists.FirstRequestsAsync(before, World.Options.Epoch), Is.Empty);
    }

    /// <summary>What <see cref="FeedbackStore.LabeledPairsAsync"/> should return at <paramref name="asOf"/>, worked out from the world.</summary>
    private static List<ComparablePair> Expected(DateTimeOffset asOf)
    {
        var shortlists = World.Shortlists.ToDictionary(s => s.ShortlistId);
        var clients = World.Clients.ToDictionary(c => c.ClientId);
        return World.Choices
            .Where(c => shortlists[c.ShortlistId].CreatedAt <= asOf)
            .OrderBy(c => shortlists[c.ShortlistId].CreatedAt).ThenBy(c => c.ShortlistId.ToString())
            .Select(c =>
            {
                var feedback = (Func<SimulatedOutcome, bool>)(o => o.ShortlistId == c.ShortlistId && o.TherapistId == c.TherapistId && o.At <= asOf);
                var rating = World.Ratings
                    .Where(r => r.ShortlistId == c.ShortlistId && r.TherapistId == c.TherapistId && r.At <= asOf)
                    .OrderBy(r => r.SessionNumber).ThenBy(r => r.At)
                    .FirstOrDefault();
                return new ComparablePair(
                    c.ShortlistId,
                    c.ClientId,
                    c.TherapistId,
                    shortlists[c.ShortlistId].CreatedAt,
                    clients[c.ClientId].Goals.Count > 0 ? clients[c.ClientId].Goals[0] : null,
                    rating is null ? null : AllianceScale.FromItems(AllianceInstrument.WaiSr, [.. rating.WaiSrItems]).Overall,
                    World.Outcomes.Where(o => o.Kind == OutcomeKind.Dropout).Where(feedback).Select(o => (int?)o.SessionNumber).Min(),
                    World.Outcomes.Where(o => o.Kind == OutcomeKind.Rematch).Any(feedback));
            })
            .ToList();
    }

    private static ComparablePair Comparable(Engine.Learning.LabeledPair p) =>
        new(p.ShortlistId, p.ClientId, p.TherapistId, p.ShownAt, p.FirstGoal, p.Alliance, p.DropoutSession, p.Rematched);

    private async Task<List<(DateTimeOffset CreatedAt, float[] Features)>> ItemsAsync()
    {
        var rows = await QueryAsync<(DateTime CreatedAt, string Features)>(
            "SELECT s.created_at AS CreatedAt, i.features AS Features FROM shortlist_item i JOIN shortlist s ON s.id = i.shortlist_id");
        return rows.Select(r => (new DateTimeOffset(DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc)), Parse(r.Features))).ToList();
    }

    private async Task<List<T>> QueryAsync<T>(string sql) =>
        [.. await Db.RunAsync((c, ct) => c.QueryAsync<T>(new CommandDefinition(sql, cancellationToken: ct)), default)];

    private static float[] Parse(string features) =>
        [.. features.Split(',').Select(f => float.Parse(f, System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>A labeled pair without its features, so records compare by value.</summary>
    private sealed record ComparablePair(
        Guid ShortlistId, string ClientId, string TherapistId, DateTimeOffset ShownAt, Goal? FirstGoal, double? Alliance, int? DropoutSession, bool Rematched);
}
