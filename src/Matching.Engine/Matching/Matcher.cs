using System.Buffers;
using Matching.Engine.Domain;

namespace Matching.Engine.Matching;

/// <summary>Fit in Bordin's three pillars, each in [0, 1] (0.5 neutral), with reasons in plain words.</summary>
/// <param name="Goals">Agreement on goals.</param>
/// <param name="Tasks">Agreement on tasks.</param>
/// <param name="Bond">The bond.</param>
/// <param name="Reasons">Short reasons, strongest first.</param>
public sealed record FitExplanation(double Goals, double Tasks, double Bond, IReadOnlyList<string> Reasons);

/// <summary>A therapist on a shortlist.</summary>
/// <param name="Therapist">The therapist.</param>
/// <param name="Position">1-based position.</param>
/// <param name="Score">The model's score (comparable only within one shortlist).</param>
/// <param name="Fit">Per-pillar fit and reasons.</param>
/// <param name="Features">The pair features the model scored, logged with the shortlist for training.</param>
public sealed record RankedTherapist(TherapistProfile Therapist, int Position, double Score, FitExplanation Fit, float[] Features);

/// <summary>A ranked, explained shortlist and what the hard constraints removed.</summary>
/// <param name="Ranked">The shortlist, best first.</param>
/// <param name="ExcludedBy">How many candidates each hard constraint excluded (first failed constraint).</param>
/// <param name="Considered">Therapists considered.</param>
/// <param name="Eligible">Therapists that passed every hard constraint.</param>
/// <param name="ModelVersion">The model that ranked them.</param>
public sealed record MatchOutcome(
    IReadOnlyList<RankedTherapist> Ranked,
    IReadOnlyDictionary<Constraint, int> ExcludedBy,
    int Considered,
    int Eligible,
    string ModelVersion);

/// <summary>Filters, scores, ranks and explains. Pure: the caller supplies the candidate pool and the model.</summary>
public static class Matcher
{
    /// <summary>Ranks the pool for a client.</summary>
    /// <param name="client">The request.</param>
    /// <param name="pool">Every active therapist, with capacity and track record.</param>
    /// <param name="model">The ranking model.</param>
    /// <param name="limit">Shortlist length.</param>
    public static MatchOutcome Rank(ClientPreferences client, IReadOnlyList<Candidate> pool, IRankingModel model, int limit)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(model);
        var excluded = new int[HardConstraintFilter.ConstraintCount];
        var eligible = new List<Candidate>(pool.Count);
        foreach (var candidate in pool)
        {
            if (HardConstraintFilter.FirstFailed(client, candidate.Profile, candidate.CapacityLeft) is { } failed)
            {
                excluded[(int)failed]++;
            }
            else
            {
                eligible.Add(candidate);
            }
        }

        var n = PairFeatures.Count;
        var features = ArrayPool<float>.Shared.Rent(Math.Max(1, eligible.Count * n));
        var scores = ArrayPool<double>.Shared.Rent(Math.Max(1, eligible.Count));
        try
        {
            for (var i = 0; i < eligible.Count; i++)
            {
                PairFeatures.Compute(client, eligible[i], features.AsSpan(i * n, n));
            }

            model.Score(features.AsSpan(0, eligible.Count * n), eligible.Count, scores.AsSpan(0, eligible.Count));

            // Best first; ties by therapist id so the order is reproducible.
            var order = new int[eligible.Count];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            Array.Sort(order, (a, b) =>
            {
                var c = scores[b].CompareTo(scores[a]);
                return c != 0 ? c : string.CompareOrdinal(eligible[a].Profile.Id, eligible[b].Profile.Id);
            });

            var take = Math.Min(limit, order.Length);
            var ranked = new RankedTherapist[take];
            var contributions = new double[n];
            for (var p = 0; p < take; p++)
            {
                var i = order[p];
                var row = features.AsSpan(i * n, n);
                model.Contributions(row, contributions);
                ranked[p] = new RankedTherapist(eligible[i].Profile, p + 1, scores[i], Explain(client, eligible[i], row, contributions, model), row.ToArray());
            }

            var excludedBy = new Dictionary<Constraint, int>();
            for (var c = 0; c < excluded.Length; c++)
            {
                excludedBy[(Constraint)c] = excluded[c];
            }

            return new MatchOutcome(ranked, excludedBy, pool.Count, eligible.Count, model.Version);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(features);
            ArrayPool<double>.Shared.Return(scores);
        }
    }

    /// <summary>Per-pillar fit from a model's contributions, and reasons from the features.</summary>
    public static FitExplanation Explain(ClientPreferences client, Candidate candidate, ReadOnlySpan<float> row, ReadOnlySpan<double> contributions, IRankingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var byGroup = new double[Enum.GetValues<FeatureGroup>().Length];
        for (var f = 0; f < PairFeatures.Count; f++)
        {
            byGroup[(int)PairFeatures.Schema[f].Group] += contributions[f];
        }

        double Fit(FeatureGroup g) => Math.Round(Math.Clamp(0.5 + 0.5 * byGroup[(int)g] / model.ContributionScale(g), 0, 1), 3);
        return new FitExplanation(Fit(FeatureGroup.Goals), Fit(FeatureGroup.Tasks), Fit(FeatureGroup.Bond), Reasons.For(client, candidate, row));
    }
}
