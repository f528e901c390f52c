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
    /// <summary>Uniformly random order.</summary>
    public static EvaluatedPolicy Random { get; } = new("random", null, ReferencePolicy.Random);

    /// <summary>Ordered by the true alliance, dyad chemistry included: the unreachable ceiling.</summary>
    public static EvaluatedPolicy Oracle { get; } = new("oracle (true alliance)", null, ReferencePolicy.Oracle);

    /// <summary>Ordered by therapist effect plus fit, what any ranker could at best capture (no dyad chemistry).</summary>
    public static EvaluatedPolicy RankableOracle { get; } = new("oracle (therapist + fit)", null, ReferencePolicy.RankableOracle);
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
}

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
public sealed record TruthMetrics(string Policy, double Ndcg10, double Top1, double Top5, double Assigned, double AssignedDropout, int Clients, int ReplayedClients, int AssignedClients);

/// <summary>Offline evaluation of ranking policies.</summary>
public static class Evaluation
{
    /// <summary>Candidates per client in the truth evaluation.</summary>
    public const int DefaultCandidates = 10;

    /// <summary>NDCG@1, 5, 10 of each policy on a labeled dataset (reference policies other than random are skipped: the truth is not in it).</summary>
    public static IReadOnlyList<ObservedMetrics> Observed(RankingDataset holdout, IReadOnlyList<EvaluatedPolicy> policies, int seed)
    {
        ArgumentNullException.ThrowIfNull(holdout);
        ArgumentNullException.ThrowIfNull(policies);
        var results = new List<ObservedMetrics>();
        foreach (var policy in policies)
        {
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
    /// Clients or therapists the truth does not know are skipped.
    /// </summary>
    public static IReadOnlyList<TruthMetrics> AgainstTruth(
        IReadOnlyList<(ClientPreferences Client, DateTimeOffset At)> clients,
        IReadOnlyList<TherapistProfile> therapists,
        IReadOnlyDictionary<string, TrackRecord> tracks,
        AllianceTruth truth,
        IReadOnlyList<EvaluatedPolicy> policies,
        int candidates = DefaultCandidates,
        int seed = 1)
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
                var scores = Scores(policies[p], ci, sample, tIndex, features, truth, rng);
                var order = Enumerable.Range(0, sample.Length).OrderByDescending(i => scores[i]).ThenBy(i => known[sample[i]].Id, StringComparer.Ordinal).ToArray();
                acc[p].AddRanking(order.Select(i => truthValues[i]).ToArray());
            }

            evaluated++;
        }

        // Capacity binding: clients in arrival order; each takes the top-ranked therapist with a place this week.
        var taken = new Dictionary<(int, DateTimeOffset), int>[policies.Count];
        for (var p = 0; p < policies.Count; p++)
        {
            taken[p] = [];
        }

        foreach (var (client, at) in clients.OrderBy(c => c.At))
        {
            var ci = truth.IndexOfClient(client.ClientId);
            if (ci < 0)
            {
                continue;
            }

            var week = Calendar.WeekStart(at);
            var rng = SimulationRandom.For(seed, 0xCAFE, ci);
            for (var p = 0; p < policies.Count; p++)
            {
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
                    acc[p].Unassigned++;
                    continue;
                }

                var features = new float[open.Count * n];
                for (var s = 0; s < open.Count; s++)
                {
                    PairFeatures.Compute(client, new Candidate(known[open[s]], left[s], track[open[s]]), prior, features.AsSpan(s * n, n));
                }

                var scores = Scores(policies[p], ci, open.ToArray(), tIndex, features, truth, rng);
                var best = 0;
                for (var s = 1; s < open.Count; s++)
                {
                    best = scores[s] > scores[best] ? s : best;
                }

                var chosen = open[best];
                taken[p][(chosen, week)] = taken[p].GetValueOrDefault((chosen, week)) + 1;
                var alliance = truth.TrueAlliance(ci, tIndex[chosen]);
                var (hasPreference, met) = PerceivedFit.Accommodation(client, known[chosen]);
                acc[p].AddAssignment(alliance, ObservationModel.DropoutProbability(alliance, hasPreference, met));
            }
        }

        return policies.Select((p, i) => acc[i].ToMetrics(p.Name, evaluated)).ToList();
    }

    private static double[] Scores(EvaluatedPolicy policy, int client, int[] sample, int[] tIndex, float[] features, AllianceTruth truth, SimulationRandom rng)
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
                for (var s = 0; s < sample.Length; s++)
                {
                    scores[s] = truth.Rankable(client, tIndex[sample[s]]);
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
