using Matching.Engine.Domain;
using Matching.Engine.Matching;

namespace Matching.Engine.Simulation;

/// <summary>
/// Simulates a therapist-matching service's history: clients arrive week by week, a logging
/// policy shows each a shortlist of eligible therapists, the client chooses (or not), and the
/// match runs its course per the science page's generative model: an alliance rating at
/// session 3 unless the client left before, dropout or completion, and a rematch for some early
/// dropouts. Deterministic for a seed; fast enough for 2,000 therapists and 50,000 clients.
/// </summary>
public static class Simulator
{
    /// <summary>How quickly examination decays down a shortlist: position p (1-based) is looked at with weight p^-0.7 (estimate).</summary>
    public const double PositionBiasExponent = 0.7;

    /// <summary>How strongly perceived fit (stated preferences met) drives the choice among examined therapists (estimate).</summary>
    public const double ChoiceFitSensitivity = 1.5;

    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    /// <summary>A directory of therapists, for demo data. The same as the directory of <see cref="Run"/> with this seed and count.</summary>
    /// <param name="therapists">Number of therapists.</param>
    /// <param name="seed">Seed.</param>
    public static IReadOnlyList<TherapistProfile> Directory(int therapists, int seed) => TherapistPopulation.Generate(therapists, seed);

    /// <summary>Runs a simulation.</summary>
    /// <param name="options">What to simulate.</param>
    /// <param name="policy">Logging policy; <see cref="ShortlistPolicy.NoisyStatedPreference"/> by default. The world and its truth do not depend on it.</param>
    /// <exception cref="ArgumentOutOfRangeException">Options out of range.</exception>
    /// <exception cref="InvalidOperationException">The policy returned a therapist that was not eligible, a duplicate, or too many.</exception>
    public static SimulationResult Run(SimulationOptions options, ShortlistPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        policy ??= ShortlistPolicy.NoisyStatedPreference();

        var (therapists, therapistLatents) = TherapistPopulation.Create(options.Therapists, options.Seed);
        var (clients, clientLatents) = ClientPopulation.Create(options.Clients, options.Seed);
        var truth = new AllianceTruth(
            options.Seed,
            [.. therapists.Select((t, j) => TruthTherapist.From(t, therapistLatents[j]))],
            [.. clients.Select((c, i) => TruthClient.From(c, clientLatents[i]))])
        {
            Options = options,
            PolicyName = policy.Name,
        };

        var run = new HistoryRun(options, policy, therapists, clients, truth);
        return run.Execute();
    }

    /// <summary>One run's mutable state; kept out of the public surface.</summary>
    private sealed class HistoryRun(SimulationOptions options, ShortlistPolicy policy, TherapistProfile[] therapists, ClientPreferences[] clients, AllianceTruth truth)
    {
        private readonly Dictionary<string, int[]> _byRegion = IndexByRegion(therapists);
        private readonly Dictionary<string, int> _therapistIndex = therapists.Select((t, j) => (t.Id, j)).ToDictionary(p => p.Id, p => p.j, StringComparer.Ordinal);
        private readonly int[] _usedWeek = Enumerable.Repeat(-1, therapists.Length).ToArray();
        private readonly int[] _used = new int[therapists.Length];
        private readonly int[] _eligibleStamp = Enumerable.Repeat(-1, therapists.Length).ToArray();
        private readonly List<SimulatedShortlist> _shortlists = [];
        private readonly List<SimulatedChoice> _choices = [];
        private readonly List<SimulatedRating> _ratings = [];
        private readonly List<SimulatedOutcome> _outcomes = [];
        private readonly PriorityQueue<MatchRequest, (long Ticks, long Sequence)> _queue = new();
        private long _sequence;
        private int _requests;
        private int _withoutEligible;
        private int _limitedByCapacity;
        private long _eligibleTotal;

        private readonly record struct MatchRequest(int Client, int Attempt, int Excluded, DateTimeOffset At);

        public SimulationResult Execute()
        {
            for (var i = 0; i < clients.Length; i++)
            {
                var rng = SimulationRandom.For(options.Seed, Streams.Arrival, i);
                var week = rng.NextInt(options.Weeks);
                var at = options.Epoch + week * Week + TimeSpan.FromSeconds(rng.NextInt((int)Week.TotalSeconds));
                Enqueue(new MatchRequest(i, 0, -1, at));
            }

            // Time order matters: weekly capacity is used up by whoever asks first.
            while (_queue.TryDequeue(out var request, out _))
            {
                Serve(request);
            }

            var diagnostics = new SimulationDiagnostics(
                _requests,
                _withoutEligible,
                _limitedByCapacity,
                _requests == _withoutEligible ? 0 : _eligibleTotal / (double)(_requests - _withoutEligible));
            return new SimulationResult(
                options,
                policy.Name,
                therapists,
                clients,
                _shortlists,
                _choices,
                [.. _ratings.OrderBy(r => r.At)],
                [.. _outcomes.OrderBy(o => o.At)],
                truth,
                diagnostics);
        }

        private void Enqueue(MatchRequest request) => _queue.Enqueue(request, (request.At.UtcTicks, _sequence++));

        private void Serve(MatchRequest request)
        {
            _requests++;
            var client = clients[request.Client];
            var week = (int)((request.At - options.Epoch).Ticks / Week.Ticks);

            var eligible = new List<TherapistProfile>();
            var capacityBound = false;
            if (_byRegion.TryGetValue(client.Constraints.Region, out var candidates))
            {
                foreach (var j in candidates)
                {
                    if (j == request.Excluded)
                    {
                        continue;
                    }

                    var left = CapacityLeft(j, week);
                    if (HardConstraintFilter.FirstFailed(client, therapists[j], left) is null)
                    {
                        eligible.Add(therapists[j]);
                        _eligibleStamp[j] = _requests;
                    }
                    else if (left <= 0 && HardConstraintFilter.FirstFailed(client, therapists[j], 1) is null)
                    {
                        capacityBound = true;
                    }
                }
            }

            if (capacityBound)
            {
                _limitedByCapacity++;
            }

            if (eligible.Count == 0)
            {
                _withoutEligible++;
                return;
            }

            _eligibleTotal += eligible.Count;
            var isRematch = request.Attempt > 0;
            var policyRandom = SimulationRandom.For(options.Seed, Streams.Request, request.Client, request.Attempt);
            var shortlistRequest = new ShortlistRequest(client, eligible, options.ShortlistSize, request.At, isRematch, policyRandom);
            var shown = policy.Select(shortlistRequest);
            var indices = Validate(shown);
            var propensities = policy.Propensities(shortlistRequest, shown);

            var id = ShortlistId(request.Client, request.Attempt);
            var items = new SimulatedShortlistItem[indices.Length];
            for (var k = 0; k < indices.Length; k++)
            {
                items[k] = new SimulatedShortlistItem(therapists[indices[k]].Id, k + 1, propensities?[k]);
            }

            _shortlists.Add(new SimulatedShortlist(id, client.ClientId, request.At, policy.Name, items, isRematch));

            var rng = SimulationRandom.For(options.Seed, Streams.Course, request.Client, request.Attempt);
            var chosen = Choose(client, indices, rng);
            if (chosen < 0)
            {
                return;
            }

            // The place is taken in the week the client asked, whatever day the first session falls on.
            TakePlace(chosen, week);
            var chosenAt = request.At + TimeSpan.FromMinutes(rng.NextInt(10, 48 * 60));
            var therapist = therapists[chosen];
            _choices.Add(new SimulatedChoice(id, client.ClientId, therapist.Id, chosenAt));

            Course(request, id, client, chosen, chosenAt, rng);
        }

        private void Course(MatchRequest request, Guid id, ClientPreferences client, int chosen, DateTimeOffset chosenAt, SimulationRandom rng)
        {
            var therapist = therapists[chosen];
            var alliance = truth.TrueAlliance(request.Client, chosen);
            var (hasPreference, met) = PerceivedFit.Accommodation(client, therapist);
            var drops = rng.Chance(ObservationModel.DropoutProbability(alliance, hasPreference, met));
            var early = drops && rng.Chance(ObservationModel.EarlyDropoutProbability(alliance));

            // Last session attended. Early leavers come once or twice; later leavers stay a few weeks
            // past the rating; completers have a routine-care course (median about 5 sessions).
            var lastSession = drops
                ? early ? (rng.Chance(0.6) ? 1 : 2) : ObservationModel.RatingSession + ObservationModel.Geometric(rng, 0.35)
                : ObservationModel.RatingSession + ObservationModel.Geometric(rng, 0.22);

            var firstSession = chosenAt + TimeSpan.FromHours(rng.NextInt(2 * 24, 8 * 24));
            DateTimeOffset SessionAt(int s) => firstSession + (s - 1) * Week;

            if (lastSession >= ObservationModel.RatingSession)
            {
                var items = ObservationModel.WaiSrItems(alliance, ObservationModel.RatingSession, truth.Moments, rng);
                var ratedAt = SessionAt(ObservationModel.RatingSession) + TimeSpan.FromMinutes(rng.NextInt(60, 24 * 60));
                _ratings.Add(new SimulatedRating(id, client.ClientId, therapist.Id, ObservationModel.RatingSession, items, ratedAt));
            }

            if (!drops)
            {
                var completedAt = SessionAt(lastSession) + TimeSpan.FromMinutes(rng.NextInt(30, 24 * 60));
                _outcomes.Add(new SimulatedOutcome(id, client.ClientId, therapist.Id, OutcomeKind.Completed, lastSession, completedAt));
                return;
            }

            // A dropout is noticed when the client misses the next session.
            var droppedAt = SessionAt(lastSession + 1) + TimeSpan.FromMinutes(rng.NextInt(0, 3 * 24 * 60));
            _outcomes.Add(new SimulatedOutcome(id, client.ClientId, therapist.Id, OutcomeKind.Dropout, lastSession, droppedAt));

            // Only a first match's early dropout leads to a rematch: one client gets at most two labels.
            if (early && request.Attempt == 0 && rng.Chance(options.RematchProbability))
            {
                var rematchAt = droppedAt + TimeSpan.FromMinutes(rng.NextInt(10, 2 * 24 * 60));
                _outcomes.Add(new SimulatedOutcome(id, client.ClientId, therapist.Id, OutcomeKind.Rematch, lastSession, rematchAt));
                Enqueue(new MatchRequest(request.Client, request.Attempt + 1, chosen, rematchAt + TimeSpan.FromMinutes(5)));
            }
        }

        /// <summary>
        /// The client's choice: no one with a fixed probability; otherwise a position-biased logit
        /// over perceived fit (stated preferences met, never the hidden dyad term).
        /// </summary>
        private int Choose(ClientPreferences client, int[] shown, SimulationRandom rng)
        {
            if (shown.Length == 0 || rng.Chance(options.NoChoiceProbability))
            {
                return -1;
            }

            Span<double> weights = stackalloc double[shown.Length];
            var max = double.NegativeInfinity;
            for (var k = 0; k < shown.Length; k++)
            {
                weights[k] = -PositionBiasExponent * Math.Log(k + 1) + ChoiceFitSensitivity * PerceivedFit.Score(client, therapists[shown[k]]);
                max = Math.Max(max, weights[k]);
            }

            for (var k = 0; k < shown.Length; k++)
            {
                weights[k] = Math.Exp(weights[k] - max);
            }

            return shown[rng.PickWeighted(weights)];
        }

        private int[] Validate(IReadOnlyList<TherapistProfile> shown)
        {
            if (shown.Count > options.ShortlistSize)
            {
                throw new InvalidOperationException($"Policy {policy.Name} returned {shown.Count} therapists; the shortlist holds {options.ShortlistSize}.");
            }

            var indices = new int[shown.Count];
            for (var k = 0; k < shown.Count; k++)
            {
                var t = shown[k];
                if (!_therapistIndex.TryGetValue(t.Id, out var j) || _eligibleStamp[j] != _requests || Array.IndexOf(indices, j, 0, k) >= 0)
                {
                    throw new InvalidOperationException($"Policy {policy.Name} returned {t.Id}, which was not eligible or was already shown.");
                }

                indices[k] = j;
            }

            return indices;
        }

        private int CapacityLeft(int therapist, int week) =>
            therapists[therapist].WeeklyNewClientCapacity - (_usedWeek[therapist] == week ? _used[therapist] : 0);

        private void TakePlace(int therapist, int week)
        {
            if (_usedWeek[therapist] != week)
            {
                _usedWeek[therapist] = week;
                _used[therapist] = 0;
            }

            _used[therapist]++;
        }

        private Guid ShortlistId(int client, int attempt)
        {
            Span<byte> bytes = stackalloc byte[16];
            BitConverter.TryWriteBytes(bytes, SimulationRandom.Hash(options.Seed, Streams.ShortlistId, client, attempt));
            BitConverter.TryWriteBytes(bytes[8..], SimulationRandom.Hash(options.Seed, Streams.ShortlistId, client, attempt + 1_000_000));
            // Mark as a version 4 (random) UUID so that stores treating ids as UUIDs accept it.
            bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
            return new Guid(bytes);
        }

        private static Dictionary<string, int[]> IndexByRegion(TherapistProfile[] therapists)
        {
            var lists = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            for (var j = 0; j < therapists.Length; j++)
            {
                foreach (var region in therapists[j].LicensedRegions)
                {
                    if (!lists.TryGetValue(region, out var list))
                    {
                        lists[region] = list = [];
                    }

                    list.Add(j);
                }
            }

            return lists.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        }
    }
}
