using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Data;

/// <summary>
/// Writes a simulated world into the store as if the service had lived through it: the
/// directory, every shortlist with the features the service would have logged at that moment
/// (track records from the ratings made before it, shrunk towards the prior measured on those
/// same ratings; capacity left that week), choices, alliance
/// ratings and outcome events. The hidden truth stays out of the database.
/// </summary>
public static class SimulatedHistory
{
    /// <summary>Stores the world; returns counts per table.</summary>
    public static async Task<(int Therapists, int Shortlists, int Choices, int Ratings, int Outcomes)> WriteAsync(
        SimulationResult world, TherapistStore therapists, ShortlistStore shortlists, FeedbackStore feedback, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(therapists);
        ArgumentNullException.ThrowIfNull(shortlists);
        ArgumentNullException.ThrowIfNull(feedback);
        await therapists.UpsertManyAsync(world.Therapists, ct);

        var profiles = world.Therapists.ToDictionary(t => t.Id);
        var clients = world.Clients.ToDictionary(c => c.ClientId);
        var firstGoalOf = world.Shortlists.ToDictionary(s => s.ShortlistId, s => clients[s.ClientId].Goals.Count > 0 ? clients[s.ClientId].Goals[0] : (Goal?)null);
        var ratings = world.Ratings.OrderBy(r => r.At).ToList();
        var choicesByTime = world.Choices.OrderBy(c => c.At).ToList();
        // The simulator charges a place to the week the client asked, so the log does too.
        var askedAt = world.Shortlists.ToDictionary(s => s.ShortlistId, s => s.CreatedAt);
        var track = new Dictionary<string, RunningTrack>();
        var taken = new Dictionary<(string, DateTimeOffset), int>();
        int nextRating = 0, nextChoice = 0;
        var prior = AlliancePrior.Fallback;
        var priorStale = false;
        var stored = new List<Shortlist>(world.Shortlists.Count);
        var features = new float[PairFeatures.Count];
        var contributions = new double[PairFeatures.Count];
        var scorer = RuleBasedScorer.Instance;
        var scores = new double[1];

        foreach (var s in world.Shortlists.OrderBy(s => s.CreatedAt))
        {
            // Feedback and choices up to this moment are what the service would have known.
            for (; nextRating < ratings.Count && ratings[nextRating].At <= s.CreatedAt; nextRating++)
            {
                var r = ratings[nextRating];
                var overall = AllianceScale.FromItems(AllianceInstrument.WaiSr, r.WaiSrItems.ToArray()).Overall;
                if (!track.TryGetValue(r.TherapistId, out var t))
                {
                    track[r.TherapistId] = t = new RunningTrack();
                }

                t.Add(firstGoalOf[r.ShortlistId], overall);
                priorStale = true;
            }

            // Measured on the track records as the store would report them, as a rebuilt snapshot does.
            if (priorStale)
            {
                prior = AlliancePrior.Of(track.Values.Select(t => t.ToTrackRecord()));
                priorStale = false;
            }

            for (; nextChoice < choicesByTime.Count && choicesByTime[nextChoice].At <= s.CreatedAt; nextChoice++)
            {
                var c = choicesByTime[nextChoice];
                var key = (c.TherapistId, Calendar.WeekStart(askedAt[c.ShortlistId]));
                taken[key] = taken.GetValueOrDefault(key) + 1;
            }

            var client = clients[s.ClientId];
            var week = Calendar.WeekStart(s.CreatedAt);
            var items = new List<ShortlistItem>(s.Items.Count);
            foreach (var item in s.Items.OrderBy(i => i.Position))
            {
                var profile = profiles[item.TherapistId];
                var candidate = new Candidate(profile, profile.WeeklyNewClientCapacity - taken.GetValueOrDefault((profile.Id, week)), track.TryGetValue(profile.Id, out var t) ? t.ToTrackRecord() : TrackRecord.None);
                PairFeatures.Compute(client, candidate, prior, features);
                scorer.Score(features, 1, scores);
                scorer.Contributions(features, contributions);
                var fit = Matcher.Explain(client, candidate, contributions, scorer, prior);
                items.Add(new ShortlistItem(item.Position, item.TherapistId, scores[0], fit.Goals, fit.Tasks, fit.Bond, fit.Reasons, features.ToArray(), item.Propensity));
            }

            stored.Add(new Shortlist(s.ShortlistId, s.ClientId, $"simulator:{s.Policy}", s.CreatedAt, $"simulated:{s.Policy}",
                PairFeatures.SchemaVersion, client, new Dictionary<Constraint, int>(), world.Therapists.Count, s.Items.Count, items));
        }

        await shortlists.SaveManyAsync(stored, ct);
        await shortlists.SaveChoicesAsync(world.Choices.Select(c => new Choice(c.ShortlistId, c.ClientId, c.TherapistId, c.At)).ToList(), ct);
        await feedback.SaveManyAsync(
            world.Ratings.Select(r => new StoredRating(r.ShortlistId, r.ClientId, r.TherapistId, AllianceInstrument.WaiSr, r.WaiSrItems.ToArray(),
                r.SessionNumber, AllianceScale.FromItems(AllianceInstrument.WaiSr, r.WaiSrItems.ToArray()), r.At)).ToList(),
            world.Outcomes.Select(o => new StoredOutcome(o.ShortlistId, o.ClientId, o.TherapistId, o.Kind, o.SessionNumber, o.At)).ToList(),
            ct);
        return (world.Therapists.Count, stored.Count, world.Choices.Count, world.Ratings.Count, world.Outcomes.Count);
    }

    private sealed class RunningTrack
    {
        private readonly Dictionary<Goal, (int N, double Sum)> _byGoal = [];
        private int _n;
        private double _sum;

        // A therapist appears on many shortlists between two of its ratings; build its record once per rating.
        private TrackRecord? _snapshot;

        public void Add(Goal? goal, double overall)
        {
            _snapshot = null;
            _n++;
            _sum += overall;
            if (goal is { } known)
            {
                var g = _byGoal.GetValueOrDefault(known);
                _byGoal[known] = (g.N + 1, g.Sum + overall);
            }
        }

        public TrackRecord ToTrackRecord() =>
            _snapshot ??= new(_n, _sum / _n, _byGoal.ToDictionary(g => g.Key, g => (g.Value.N, g.Value.Sum / g.Value.N)));
    }
}
