using Matching.Engine.Allocation;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;
using Matching.Engine.Simulation;

namespace Matching.Engine.Learning;

/// <summary>A ranking policy under evaluation: a model, or one of the reference policies.</summary>
/// <param name="Name">Name in reports.</param>
/// <param name="Model">The model, or null for a reference policy.</param>
/// <param name="Reference">Which reference policy, when <paramref name="Model"/> is null.</param>
public sealed record EvaluatedPolicy(string Name, IRankingModel? Model, ReferencePolicy Reference = ReferencePolicy.None)
{
    /// <summary>
    /// Whether the policy ranks by its score minus each therapist's capacity price
    /// (<see cref="CapacityPricing"/>) when capacity binds; per-client rankings are unchanged.
    /// </summary>
    public bool Priced { get; init; }

    /// <summary>
    /// Exposure for under-observed therapists when capacity binds, in score units: an
    /// upper-confidence bonus of <c>ExplorationBonus / sqrt(1 + ratings)</c> on the track record,
    /// so a therapist with no history gets all of it and one with 99 ratings a tenth. 0 = none.
    /// </summary>
    public double ExplorationBonus { get; init; }

    /// <summary>
    /// The served exploration slot's share ε (<see cref="Exploration"/>): in the capacity replay's
    /// exposure, the tenth position counts 1 − ε for the ranked therapist and ε / n for each of
    /// the n under-observed eligible therapists outside the top ten (its expected exposure). The
    /// replay's client takes the top-ranked therapist with a place, which the slot never changes,
    /// so the slot moves exposure only. 0 = none.
    /// </summary>
    public double ExplorationSlot { get; init; }

    /// <summary>
    /// The best assignment of each week's clients to therapists under weekly capacity, knowing
    /// therapist effect and fit (a maximum-weight b-matching, <see cref="CapacityAssignment"/>);
    /// per client it ranks as <see cref="RankableOracle"/>.
    /// </summary>
    public static EvaluatedPolicy CapacityOracle { get; } = new("oracle (capacity-aware, therapist + fit)", null, ReferencePolicy.CapacityOracle);

    /// <summary>Uniformly random order.</summary>
    public static EvaluatedPolicy Random { get; } = new("random", null, ReferencePolicy.Random);

    /// <summary>Ordered by the true alliance, dyad chemistry included: the unreachable ceiling.</summary>
    public static EvaluatedPolicy Oracle { get; } = new("oracle (true alliance)", null, ReferencePolicy.Oracle);

    /// <summary>Ordered by therapist effect plus fit, what any ranker could at best capture (no dyad chemistry).</summary>
    public static EvaluatedPolicy RankableOracle { get; } = new("oracle (therapist + fit)", null, ReferencePolicy.RankableOracle);

    /// <summary>Ordered by the true therapist effect alone: what knowing therapists perfectly and fit not at all is worth.</summary>
    public static EvaluatedPolicy TherapistOracle { get; } = new("oracle (therapist only)", null, ReferencePolicy.TherapistOracle);

    /// <summary>Ordered by the true fit alone: what knowing fit perfectly and therapists not at all is worth.</summary>
    public static EvaluatedPolicy FitOracle { get; } = new("oracle (fit only)", null, ReferencePolicy.FitOracle);

    /// <summary>
    /// Ordered by the true fit plus the therapist effect as the track record shows it (its best
    /// linear estimate from the shrunken track alliance): what a model knowing fit perfectly could
    /// reach with the track records the service has.
    /// </summary>
    public static EvaluatedPolicy TrackFitOracle { get; } = new("oracle (fit + track record)", null, ReferencePolicy.TrackFitOracle);
}

/// <summary>
/// A model scored with the track-record features held at the no-history prior: it ranks on
/// client-therapist fit alone, the part of alliance that still helps when capacity binds.
/// </summary>
/// <param name="inner">The model.</param>
/// <param name="prior">The prior of the features it scores (what a therapist with no history gets).</param>
public sealed class FitOnlyModel(IRankingModel inner, AlliancePrior prior) : IRankingModel
{
    /// <inheritdoc />
    public string Version => inner.Version + "+fit-only";

    /// <inheritdoc />
    public string FeatureSchemaVersion => inner.FeatureSchemaVersion;

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> features, int rows, Span<double> scores)
    {
        var copy = features.ToArray();
        for (var r = 0; r < rows; r++)
        {
            Neutralise(copy.AsSpan(r * PairFeatures.Count, PairFeatures.Count));
        }

        inner.Score(copy, rows, scores);
    }

    /// <inheritdoc />
    public void Contributions(ReadOnlySpan<float> row, Span<double> contributions)
    {
        var copy = row.ToArray();
        Neutralise(copy);
        inner.Contributions(copy, contributions);
    }

    /// <inheritdoc />
    public double ContributionScale(FeatureGroup group) => inner.ContributionScale(group);

    private void Neutralise(Span<float> row)
    {
        row[PairFeatures.Index.TrackAlliance] = (float)prior.Mean;
        row[PairFeatures.Index.TrackVolume] = 0;
        row[PairFeatures.Index.TrackGoalAlliance] = (float)prior.Mean;
    }
}

/// <summary>Reference policies.</summary>
public enum ReferencePolicy
{
    /// <summary>Not a reference policy: a model.</summary>
    None,
    /// <summary>Random order.</summary>
    Random,
    /// <summary>True alliance.</summary>
    Oracle,
    /// <summary>Therapist effect plus fit.</summary>
    RankableOracle,
    /// <summary>Therapist effect plus fit, assigned under capacity by the best weekly b-matching.</summary>
    CapacityOracle,
    /// <summary>Therapist effect alone.</summary>
    TherapistOracle,
    /// <summary>Fit alone.</summary>
    FitOracle,
    /// <summary>Fit plus the track record's linear estimate of the therapist effect.</summary>
    TrackFitOracle,
}

/// <summary>A difference from a reference policy over the same clients, with its 95% interval.</summary>
/// <param name="Estimate">Mean difference.</param>
/// <param name="Low">Lower end of the 95% interval.</param>
/// <param name="High">Upper end of the 95% interval.</param>
/// <param name="Clients">Clients both policies placed.</param>
public sealed record Difference(double Estimate, double Low, double High, int Clients);

/// <summary>NDCG on the holdout's observed labels.</summary>
public sealed record ObservedMetrics(string Policy, double Ndcg1, double Ndcg5, double Ndcg10, int Queries, int Rows);

/// <summary>
/// Metrics against the simulator's hidden true alliance (latent units, SD about 1; one SD is
/// about 8 WAI-SR points).
/// </summary>
/// <param name="Policy">Policy name.</param>
/// <param name="Ndcg10">NDCG@10 of the policy's order against the true ordering (gains: true alliance minus the list's lowest).</param>
/// <param name="Top1">Mean true alliance of the first-ranked therapist.</param>
/// <param name="Top5">Mean true alliance of the first five.</param>
/// <param name="Assigned">Mean true alliance when every client, in arrival order, takes the first-ranked therapist with a place left that week.</param>
/// <param name="AssignedDropout">Dropout rate those assignments imply (the simulator's dropout model).</param>
/// <param name="Clients">Clients ranked (those with two or more eligible therapists).</param>
/// <param name="ReplayedClients">Clients replayed with capacity binding (every client the truth knows).</param>
/// <param name="AssignedClients">Replayed clients who found a therapist with a place left.</param>
/// <param name="CapacityUsed">Share of the weekly places of the replayed weeks that the assignments used.</param>
/// <param name="MostLoaded">Highest load of a therapist in a week as a share of its capacity (never above 1).</param>
/// <param name="TherapistLoad">
/// Per-therapist load over the replay: each therapist's places used as a share of the places it
/// offered in the replayed weeks, at the 10th, 50th and 90th percentile of the therapists offering any.
/// </param>
/// <param name="AssignedVsBaseline">True alliance with capacity minus the baseline's, per client placed by both, when a baseline was named.</param>
/// <param name="DropoutVsBaseline">Implied dropout with capacity minus the baseline's, per client placed by both, when a baseline was named.</param>
/// <param name="NewTherapistExposure">
/// When new therapists were named: their exposure on the replay's shortlists (top 10, weight
/// 1/log2(1 + position)) in its first weeks, as a ratio to established therapists' of the same
/// fit (pairs binned by therapist + fit, 0.1 SD wide; the ratio per bin averaged over the new pairs).
/// </param>
public sealed record TruthMetrics(
    string Policy,
    double Ndcg10,
    double Top1,
    double Top5,
    double Assigned,
    double AssignedDropout,
    int Clients,
    int ReplayedClients,
    int AssignedClients,
    double CapacityUsed = 0,
    double MostLoaded = 0,
    Difference? AssignedVsBaseline = null,
    Difference? DropoutVsBaseline = null,
    double? NewTherapistExposure = null,
    LoadPercentiles? TherapistLoad = null);

/// <summary>Percentiles of a per-therapist share.</summary>
/// <param name="P10">10th percentile.</param>
/// <param name="P50">Median.</param>
/// <param name="P90">90th percentile.</param>
public sealed record LoadPercentiles(double P10, double P50, double P90);

/// <summary>How the capacity replay of <see cref="Evaluation.AgainstTruth"/> runs.</summary>
public sealed record CapacityReplay
{
    /// <summary>Requests before the evaluated clients: they are never replayed, only seen by the first price windows. Default none.</summary>
    public IReadOnlyList<(ClientPreferences Client, DateTimeOffset At)> Earlier { get; init; } = [];

    /// <summary>How priced policies learn their prices.</summary>
    public CapacityPricing Pricing { get; init; } = new();

    /// <summary>Name of the policy every other is compared with (intervals of the differences), or null.</summary>
    public string? Baseline { get; init; }

    /// <summary>
    /// Therapists treated as new in the replay: their track records are hidden (as for a therapist
    /// who joined when the replay starts), and their exposure is measured against established
    /// therapists of the same fit. Default none.
    /// </summary>
    public IReadOnlySet<string> NewTherapists { get; init; } = new HashSet<string>();

    /// <summary>Weeks from the start of the replay over which new therapists' exposure is measured. Default 8.</summary>
    public int ExposureWeeks { get; init; } = 8;
}

/// <summary>Offline evaluation of ranking policies.</summary>
public static class Evaluation
{
    /// <summary>Candidates per client in the truth evaluation.</summary>
    public const int DefaultCandidates = 10;

    /// <summary>NDCG@1, 5, 10 of each policy on a labeled dataset (reference policies other than random are skipped: the truth is not in it; so are priced policies).</summary>
    public static IReadOnlyList<ObservedMetrics> Observed(RankingDataset holdout, IReadOnlyList<EvaluatedPolicy> policies, int seed)
    {
        ArgumentNullException.ThrowIfNull(holdout);
        ArgumentNullException.ThrowIfNull(policies);
        var results = new List<ObservedMetrics>();
        foreach (var policy in policies)
        {
            if (policy.Priced)
            {
                // Prices change nothing where capacity does not bind: the unpriced policy's row says it all.
                continue;
            }

            var scores = new double[holdout.Rows];
            if (policy.Model is { } model)
            {
                model.Score(holdout.Features, holdout.Rows, scores);
            }
            else if (policy.Reference == ReferencePolicy.Random)
            {
                var rng = new SimulationRandom((ulong)seed);
                for (var i = 0; i < scores.Length; i++)
                {
                    scores[i] = rng.NextDouble();
                }
            }
            else
            {
                continue;
            }

            var ndcg = Ndcg.Mean(holdout, scores, [1, 5, 10]);
            results.Add(new ObservedMetrics(policy.Name, ndcg[0], ndcg[1], ndcg[2], holdout.QueryCount, holdout.Rows));
        }

        return results;
    }

    /// <summary>
    /// Ranks, for each holdout client, up to <paramref name="candidates"/> therapists drawn at random
    /// from those meeting the client's hard constraints, and measures the true alliance each policy
    /// would have produced; then replays the clients in arrival order with weekly capacity binding.
    /// Clients or therapists the truth does not know are skipped. Priced policies rank by score
    /// minus capacity prices in the replay, solved over the requests before each refresh (from
    /// <see cref="CapacityReplay.Earlier"/> first); the capacity-aware oracle assigns each week's
    /// clients together. With a baseline named, every policy's placements are compared with its.
    /// </summary>
    public static IReadOnlyList<TruthMetrics> AgainstTruth(
        IReadOnlyList<(ClientPreferences Client, DateTimeOffset At)> clients,
        IReadOnlyList<TherapistProfile> therapists,
        IReadOnlyDictionary<string, TrackRecord> tracks,
        AllianceTruth truth,
        IReadOnlyList<EvaluatedPolicy> policies,
        int candidates = DefaultCandidates,
        int seed = 1,
        CapacityReplay? replay = null)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(therapists);
        ArgumentNullException.ThrowIfNull(tracks);
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(policies);
        var known = therapists.Where(t => truth.IndexOfTherapist(t.Id) >= 0).ToList();
        var track = known.Select(t => tracks.GetValueOrDefault(t.Id) ?? TrackRecord.None).ToArray();
        // The prior the service would have served with at that moment: measured on every stored rating.
        var prior = AlliancePrior.Of(tracks.Values);
        var tIndex = known.Select(t => truth.IndexOfTherapist(t.Id)).ToArray();
        var trackLine = TrackLine(track, prior, tIndex, truth);
        var acc = policies.Select(_ => new Accumulator()).ToArray();
        var n = PairFeatures.Count;

        // Per client: a random sample of eligible therapists, every policy ranks the same sample.
        var evaluated = 0;
        foreach (var (client, _) in clients)
        {
            var ci = truth.IndexOfClient(client.ClientId);
            if (ci < 0)
            {
                continue;
            }

            var eligible = Enumerable.Range(0, known.Count)
                .Where(j => HardConstraintFilter.FirstFailed(client, known[j], known[j].WeeklyNewClientCapacity) is null)
                .ToList();
            if (eligible.Count < 2)
            {
                continue;
            }

            var rng = SimulationRandom.For(seed, 0xE7A1, ci);
            for (var i = eligible.Count - 1; i > 0; i--)
            {
                var k = rng.NextInt(i + 1);
                (eligible[i], eligible[k]) = (eligible[k], eligible[i]);
            }

            var sample = eligible.Take(candidates).ToArray();
            var truthValues = sample.Select(j => truth.TrueAlliance(ci, tIndex[j])).ToArray();
            var features = new float[sample.Length * n];
            for (var s = 0; s < sample.Length; s++)
            {
                var j = sample[s];
                PairFeatures.Compute(client, new Candidate(known[j], known[j].WeeklyNewClientCapacity, track[j]), prior, features.AsSpan(s * n, n));
            }

            for (var p = 0; p < policies.Count; p++)
            {
                var scores = Scores(policies[p], ci, sample, tIndex, features, truth, rng, trackLine);
                var order = Enumerable.Range(0, sample.Length).OrderByDescending(i => scores[i]).ThenBy(i => known[sample[i]].Id, StringComparer.Ordinal).ToArray();
                acc[p].AddRanking(order.Select(i => truthValues[i]).ToArray());
            }

            evaluated++;
        }

        // Capacity binding: clients in arrival order; each takes the top-ranked therapist with a place this week.
        replay ??= new CapacityReplay();
        replay.Pricing.Validate();
        var ordered = clients.Where(c => truth.IndexOfClient(c.Client.ClientId) >= 0).OrderBy(c => c.At).ToList();
        var weekly = known.Select(t => t.AcceptingNewClients ? t.WeeklyNewClientCapacity : 0).ToArray();
        var outcomes = policies.Select(_ => new Placement[ordered.Count]).ToArray();
        var taken = new Dictionary<(int, DateTimeOffset), int>[policies.Count];
        for (var p = 0; p < policies.Count; p++)
        {
            taken[p] = [];
        }

        var replayTrack = known.Select((t, j) => replay.NewTherapists.Contains(t.Id) ? TrackRecord.None : track[j]).ToArray();
        var isNew = known.Select(t => replay.NewTherapists.Contains(t.Id)).ToArray();
        var exposureUntil = ordered.Count == 0 ? DateTimeOffset.MinValue : Calendar.WeekStart(ordered[0].At) + TimeSpan.FromDays(7 * replay.ExposureWeeks);
        var exposure = policies.Select(_ => new ExposureBins()).ToArray();
        var served = new Exploration(Exploration.DefaultShare); // who the served slot may draw
        var eligibleCache = new Dictionary<string, (int[] Eligible, float[] Features)>(StringComparer.Ordinal);
        (int[] Eligible, float[] Features) EligibleOf(ClientPreferences client)
        {
            if (!eligibleCache.TryGetValue(client.ClientId, out var e))
            {
                var list = Enumerable.Range(0, known.Count)
                    .Where(j => HardConstraintFilter.FirstFailed(client, known[j], known[j].WeeklyNewClientCapacity) is null).ToArray();
                var f = new float[list.Length * n];
                for (var s = 0; s < list.Length; s++)
                {
                    PairFeatures.Compute(client, new Candidate(known[list[s]], known[list[s]].WeeklyNewClientCapacity, replayTrack[list[s]]), prior, f.AsSpan(s * n, n));
                }

                eligibleCache[client.ClientId] = e = (list, f);
            }

            return e;
        }

        // Priced policies: prices per therapist, solved on the window of requests before each refresh.
        var history = replay.Earlier.Where(c => truth.IndexOfClient(c.Client.ClientId) >= 0).Concat(ordered).OrderBy(c => c.At).ToList();
        var prices = policies.Select(p => p.Priced ? new double[known.Count] : null).ToArray();
        var refreshed = new DateTimeOffset?[policies.Count];
        var windowScores = policies.Select(_ => new Dictionary<string, double[]>(StringComparer.Ordinal)).ToArray();
        void Refresh(int p, DateTimeOffset now)
        {
            var week = Calendar.WeekStart(now);
            var window = new List<AssignmentClient>();
            foreach (var (from, to) in replay.Pricing.Window(now))
            {
                foreach (var (client, at) in history)
                {
                    if (at < from || at >= to)
                    {
                        continue;
                    }

                    var (eligible, features) = EligibleOf(client);
                    if (eligible.Length == 0)
                    {
                        continue;
                    }

                    if (!windowScores[p].TryGetValue(client.ClientId, out var scores))
                    {
                        var ci = truth.IndexOfClient(client.ClientId);
                        windowScores[p][client.ClientId] = scores = Scores(policies[p], ci, eligible, tIndex, features, truth, SimulationRandom.For(seed, 0xB1D, ci), trackLine);
                        AddBonus(policies[p], eligible, scores);
                    }

                    window.Add(new AssignmentClient(eligible, scores));
                }
            }

            var left = weekly.Select((c, j) => c - taken[p].GetValueOrDefault((j, week))).ToArray();
            var solved = replay.Pricing.Solve(left, window);
            if (refreshed[p] is null)
            {
                solved.CopyTo(prices[p]!, 0);
            }
            else
            {
                replay.Pricing.StepTowards(prices[p], solved);
            }

            refreshed[p] = now;
        }

        for (var o = 0; o < ordered.Count; o++)
        {
            var (client, at) = ordered[o];
            var ci = truth.IndexOfClient(client.ClientId);
            var week = Calendar.WeekStart(at);
            var rng = SimulationRandom.For(seed, 0xCAFE, ci);
            for (var p = 0; p < policies.Count; p++)
            {
                if (policies[p].Reference == ReferencePolicy.CapacityOracle)
                {
                    continue;
                }

                var open = new List<int>();
                var left = new List<int>();
                for (var j = 0; j < known.Count; j++)
                {
                    var capacity = known[j].WeeklyNewClientCapacity - taken[p].GetValueOrDefault((j, week));
                    if (HardConstraintFilter.FirstFailed(client, known[j], capacity) is null)
                    {
                        open.Add(j);
                        left.Add(capacity);
                    }
                }

                if (open.Count == 0)
                {
                    continue;
                }

                var features = new float[open.Count * n];
                for (var s = 0; s < open.Count; s++)
                {
                    PairFeatures.Compute(client, new Candidate(known[open[s]], left[s], replayTrack[open[s]]), prior, features.AsSpan(s * n, n));
                }

                var scores = Scores(policies[p], ci, open.ToArray(), tIndex, features, truth, rng, trackLine);
                AddBonus(policies[p], open, scores);
                if (prices[p] is { } price)
                {
                    if (refreshed[p] is not { } last || at - last >= replay.Pricing.Refresh || Calendar.WeekStart(last) != week)
                    {
                        Refresh(p, at);
                    }

                    for (var s = 0; s < open.Count; s++)
                    {
                        scores[s] -= price[open[s]];
                    }
                }

                var best = 0;
                for (var s = 1; s < open.Count; s++)
                {
                    best = scores[s] > scores[best] ? s : best;
                }

                var chosen = open[best];
                taken[p][(chosen, week)] = taken[p].GetValueOrDefault((chosen, week)) + 1;
                outcomes[p][o] = Place(client, ci, chosen);
                if (replay.NewTherapists.Count > 0 && at < exposureUntil)
                {
                    exposure[p].Add(open, scores, j => isNew[j], j => truth.Rankable(ci, tIndex[j]),
                        policies[p].ExplorationSlot, j => served.IsUnderObserved(replayTrack[j]));
                }
            }
        }

        // The capacity-aware oracle: each week's clients assigned together, as well as therapist + fit allows.
        for (var p = 0; p < policies.Count; p++)
        {
            if (policies[p].Reference != ReferencePolicy.CapacityOracle)
            {
                continue;
            }

            foreach (var weekGroup in Enumerable.Range(0, ordered.Count).GroupBy(o => Calendar.WeekStart(ordered[o].At)))
            {
                var members = weekGroup.ToArray();
                var problem = new AssignmentClient[members.Length];
                for (var k = 0; k < members.Length; k++)
                {
                    var client = ordered[members[k]].Client;
                    var ci = truth.IndexOfClient(client.ClientId);
                    var eligible = EligibleOf(client).Eligible;

                    // A constant above every fit makes placing a client always worth more than not.
                    problem[k] = new AssignmentClient(eligible, [.. eligible.Select(j => CapacityOracleShift + truth.Rankable(ci, tIndex[j]))]);
                }

                var solution = CapacityAssignment.Solve(weekly, problem);
                for (var k = 0; k < members.Length; k++)
                {
                    var j = solution.TherapistOf[k];
                    if (j >= 0)
                    {
                        var client = ordered[members[k]].Client;
                        taken[p][(j, weekGroup.Key)] = taken[p].GetValueOrDefault((j, weekGroup.Key)) + 1;
                        outcomes[p][members[k]] = Place(client, truth.IndexOfClient(client.ClientId), j);
                    }
                }
            }
        }

        var weeks = ordered.Select(c => Calendar.WeekStart(c.At)).Distinct().Count();
        var places = (double)weekly.Sum() * weeks;
        var baseline = replay.Baseline is { } name ? policies.Select((q, i) => (q, i)).Where(x => x.q.Name == name).Select(x => x.i).DefaultIfEmpty(-1).First() : -1;
        var results = new List<TruthMetrics>();
        for (var p = 0; p < policies.Count; p++)
        {
            foreach (var placement in outcomes[p])
            {
                if (placement.Placed)
                {
                    acc[p].AddAssignment(placement.Alliance, placement.Dropout);
                }
                else
                {
                    acc[p].Unassigned++;
                }
            }

            var used = taken[p].Values.Sum();
            var mostLoaded = taken[p].Count == 0 ? 0 : taken[p].Max(kv => kv.Value / (double)Math.Max(1, weekly[kv.Key.Item1]));
            var metrics = acc[p].ToMetrics(policies[p].Name, evaluated) with
            {
                CapacityUsed = places > 0 ? used / places : 0,
                MostLoaded = mostLoaded,
                TherapistLoad = Load(taken[p], weekly, weeks),
                NewTherapistExposure = replay.NewTherapists.Count > 0 && policies[p].Reference != ReferencePolicy.CapacityOracle ? exposure[p].Ratio() : null,
            };
            if (baseline >= 0)
            {
                metrics = metrics with
                {
                    AssignedVsBaseline = Compare(outcomes[p], outcomes[baseline], x => x.Alliance),
                    DropoutVsBaseline = Compare(outcomes[p], outcomes[baseline], x => x.Dropout),
                };
            }

            results.Add(metrics);
        }

        return results;

        void AddBonus(EvaluatedPolicy policy, IReadOnlyList<int> therapistsOf, double[] scores)
        {
            if (policy.ExplorationBonus > 0)
            {
                for (var s = 0; s < scores.Length; s++)
                {
                    scores[s] += policy.ExplorationBonus / Math.Sqrt(1 + replayTrack[therapistsOf[s]].Ratings);
                }
            }
        }

        Placement Place(ClientPreferences client, int ci, int chosen)
        {
            var alliance = truth.TrueAlliance(ci, tIndex[chosen]);
            var (hasPreference, met) = PerceivedFit.Accommodation(client, known[chosen]);
            return new Placement(true, alliance, ObservationModel.DropoutProbability(alliance, hasPreference, met));
        }
    }

    // Each therapist's places used over the replay as a share of the places it offered, in percentiles.
    private static LoadPercentiles? Load(Dictionary<(int, DateTimeOffset), int> taken, int[] weekly, int weeks)
    {
        var used = new int[weekly.Length];
        foreach (var ((j, _), n) in taken)
        {
            used[j] += n;
        }

        var loads = Enumerable.Range(0, weekly.Length).Where(j => weekly[j] > 0).Select(j => used[j] / (double)(weekly[j] * weeks)).Order().ToArray();
        if (loads.Length == 0 || weeks == 0)
        {
            return null;
        }

        double At(double q) => loads[(int)Math.Round(q * (loads.Length - 1))];
        return new LoadPercentiles(At(0.1), At(0.5), At(0.9));
    }

    /// <summary>Added to every therapist + fit value in the capacity-aware oracle so that it places every client it can.</summary>
    private const double CapacityOracleShift = 1000;

    private readonly record struct Placement(bool Placed, double Alliance, double Dropout);

    /// <summary>Shortlist exposure of new and established therapists, binned by therapist + fit.</summary>
    private sealed class ExposureBins
    {
        private const int Bins = 40;
        private const int Shown = 10;
        private readonly double[] _new = new double[Bins], _old = new double[Bins];
        private readonly int[] _newPairs = new int[Bins], _oldPairs = new int[Bins];

        // With an exploration slot of share ε, the last shown position is expected exposure split
        // between its ranked therapist (1 − ε) and the under-observed ones below the top ten (ε / n
        // each), as the served slot draws it.
        public void Add(List<int> open, double[] scores, Func<int, bool> isNew, Func<int, double> rankable, double slot, Func<int, bool> underObserved)
        {
            var order = Enumerable.Range(0, open.Count).OrderByDescending(s => scores[s]).ToArray();
            var last = 1.0 / Math.Log2(Shown + 1);
            var drawable = slot > 0 ? order.Skip(Shown).Count(s => underObserved(open[s])) : 0;
            for (var pos = 0; pos < order.Length; pos++)
            {
                var j = open[order[pos]];
                var bin = Math.Clamp((int)Math.Floor((rankable(j) + 2.0) / 0.1), 0, Bins - 1);
                var weight = pos < Shown ? 1.0 / Math.Log2(pos + 2) : 0;
                if (drawable > 0 && pos == Shown - 1)
                {
                    weight = last * (1 - slot);
                }
                else if (drawable > 0 && pos >= Shown && underObserved(j))
                {
                    weight = last * slot / drawable;
                }

                if (isNew(j))
                {
                    _new[bin] += weight;
                    _newPairs[bin]++;
                }
                else
                {
                    _old[bin] += weight;
                    _oldPairs[bin]++;
                }
            }
        }

        public double? Ratio()
        {
            double sum = 0, weight = 0;
            for (var b = 0; b < Bins; b++)
            {
                if (_newPairs[b] > 0 && _oldPairs[b] > 0 && _old[b] > 0)
                {
                    sum += _newPairs[b] * (_new[b] / _newPairs[b]) / (_old[b] / _oldPairs[b]);
                    weight += _newPairs[b];
                }
            }

            return weight > 0 ? sum / weight : null;
        }
    }

    private static Difference? Compare(Placement[] policy, Placement[] baseline, Func<Placement, double> value)
    {
        var diffs = new List<double>();
        for (var i = 0; i < policy.Length; i++)
        {
            if (policy[i].Placed && baseline[i].Placed)
            {
                diffs.Add(value(policy[i]) - value(baseline[i]));
            }
        }

        if (diffs.Count < 2)
        {
            return null;
        }

        var mean = diffs.Average();
        var sd = Math.Sqrt(diffs.Sum(d => (d - mean) * (d - mean)) / (diffs.Count - 1));
        var half = 1.96 * sd / Math.Sqrt(diffs.Count);
        return new Difference(mean, mean - half, mean + half, diffs.Count);
    }

    /// <summary>
    /// The least-squares line of the true general therapist effect on the shrunken track alliance
    /// over the therapists with a record (intercept, slope); (0, 0) with fewer than two.
    /// </summary>
    private static (double Intercept, double Slope) TrackLine(TrackRecord[] track, AlliancePrior prior, int[] tIndex, AllianceTruth truth)
    {
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (var j = 0; j < track.Length; j++)
        {
            if (track[j].Ratings == 0)
            {
                continue;
            }

            var x = (double)(float)prior.Shrink(track[j].Ratings, track[j].MeanAlliance);
            var y = truth.TherapistMainEffect(tIndex[j]);
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }

        var variance = (sxx * n) - (sx * sx);
        if (n < 2 || variance <= 0)
        {
            return (0, 0);
        }

        var slope = ((sxy * n) - (sx * sy)) / variance;
        return ((sy - (slope * sx)) / n, slope);
    }

    private static double[] Scores(EvaluatedPolicy policy, int client, int[] sample, int[] tIndex, float[] features, AllianceTruth truth, SimulationRandom rng, (double Intercept, double Slope) trackLine)
    {
        var scores = new double[sample.Length];
        switch (policy.Reference)
        {
            case ReferencePolicy.Random:
                for (var s = 0; s < sample.Length; s++)
                {
                    scores[s] = rng.NextDouble();
                }

                break;
            case ReferencePolicy.Oracle:
                for (var s = 0; s < sample.Length; s++)
                {
                    scores[s] = truth.TrueAlliance(client, tIndex[sample[s]]);
                }

                break;
            case ReferencePolicy.RankableOracle:
            case ReferencePolicy.CapacityOracle:
                for (var s = 0; s < sample.Length; s++)
                {
                    scores[s] = truth.Rankable(client, tIndex[sample[s]]);
                }

                break;
            case ReferencePolicy.TherapistOracle:
                for (var s = 0; s < sample.Length; s++)
                {
                    scores[s] = truth.TherapistEffect(client, tIndex[sample[s]]);
                }

                break;
            case ReferencePolicy.FitOracle:
                for (var s = 0; s < sample.Length; s++)
                {
                    scores[s] = truth.Fit(client, tIndex[sample[s]]);
                }

                break;
            case ReferencePolicy.TrackFitOracle:
                for (var s = 0; s < sample.Length; s++)
                {
                    var trackAlliance = features[(s * PairFeatures.Count) + PairFeatures.Index.TrackAlliance];
                    scores[s] = trackLine.Intercept + (trackLine.Slope * trackAlliance) + truth.Fit(client, tIndex[sample[s]]);
                }

                break;
            default:
                policy.Model!.Score(features, sample.Length, scores);
                break;
        }

        return scores;
    }

    private sealed class Accumulator
    {
        private double _ndcg, _top1, _top5, _assigned, _dropout;
        private int _lists, _assignments;

        public int Unassigned { get; set; }

        public void AddRanking(double[] trueInOrder)
        {
            _lists++;
            _top1 += trueInOrder[0];
            _top5 += trueInOrder.Take(5).Average();
            _ndcg += TrueNdcg(trueInOrder, 10);
        }

        public void AddAssignment(double alliance, double dropout)
        {
            _assignments++;
            _assigned += alliance;
            _dropout += dropout;
        }

        public TruthMetrics ToMetrics(string name, int clients) => new(
            name,
            _lists == 0 ? 0 : _ndcg / _lists,
            _lists == 0 ? 0 : _top1 / _lists,
            _lists == 0 ? 0 : _top5 / _lists,
            _assignments == 0 ? 0 : _assigned / _assignments,
            _assignments == 0 ? 0 : _dropout / _assignments,
            clients,
            _assignments + Unassigned,
            _assignments);
    }

    /// <summary>NDCG@k with linear gains: each therapist's true alliance minus the lowest in the list.</summary>
    public static double TrueNdcg(IReadOnlyList<double> trueInOrder, int k)
    {
        ArgumentNullException.ThrowIfNull(trueInOrder);
        var min = trueInOrder.Min();
        var ideal = trueInOrder.OrderDescending().ToArray();
        double dcg = 0, idcg = 0;
        for (var i = 0; i < Math.Min(k, trueInOrder.Count); i++)
        {
            var discount = 1.0 / Math.Log2(i + 2);
            dcg += (trueInOrder[i] - min) * discount;
            idcg += (ideal[i] - min) * discount;
        }

        return idcg <= 0 ? 1 : dcg / idcg;
    }
}
