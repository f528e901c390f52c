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
/// <param name="Score">The model's score, less the therapist's capacity price when the directory holds prices for this model (comparable only within one shortlist).</param>
/// <param name="Fit">Per-pillar fit and reasons.</param>
/// <param name="Features">The pair features the model scored, logged with the shortlist for training.</param>
/// <param name="Propensity">The probability the therapist had of being shown at this position under the served policy (see <see cref="Exploration"/>); 1 without exploration.</param>
/// <param name="Explored">Whether the exploration slot drew this therapist.</param>
public sealed record RankedTherapist(TherapistProfile Therapist, int Position, double Score, FitExplanation Fit, float[] Features, double Propensity = 1, bool Explored = false);

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
    /// <summary>Ranks a pool of candidates for a client (a directory is built from the pool).</summary>
    /// <param name="client">The request.</param>
    /// <param name="pool">Every active therapist, with capacity and track record (the prior is measured on their track records).</param>
    /// <param name="model">The ranking model.</param>
    /// <param name="limit">Shortlist length.</param>
    public static MatchOutcome Rank(ClientPreferences client, IReadOnlyList<Candidate> pool, IRankingModel model, int limit)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return Rank(client, TherapistDirectory.Create(pool, default), model, limit);
    }

    /// <summary>
    /// Ranks the listed therapists of a directory for a client: the hard constraints by bitset
    /// intersection, pair features for the eligible into one pooled row-major buffer, batch
    /// scoring, a partial selection of the best <paramref name="limit"/> (score, then therapist id
    /// for a reproducible order), and explanations for those only.
    /// </summary>
    /// <param name="client">The request.</param>
    /// <param name="directory">The directory snapshot.</param>
    /// <param name="model">The ranking model.</param>
    /// <param name="limit">Shortlist length.</param>
    public static MatchOutcome Rank(ClientPreferences client, TherapistDirectory directory, IRankingModel model, int limit) =>
        Rank(client, directory, model, limit, Exploration.Off, null);

    /// <summary>
    /// Ranks as <see cref="Rank(ClientPreferences, TherapistDirectory, IRankingModel, int)"/> does,
    /// then, with probability <see cref="Exploration.Share"/>, gives the last position to an eligible
    /// under-observed therapist outside the list drawn uniformly with <paramref name="random"/>; each
    /// item carries its propensity. With exploration off the result is the deterministic ranking and
    /// <paramref name="random"/> is not used.
    /// </summary>
    /// <param name="client">The request.</param>
    /// <param name="directory">The directory snapshot.</param>
    /// <param name="model">The ranking model.</param>
    /// <param name="limit">Shortlist length.</param>
    /// <param name="exploration">The exploration slot's settings.</param>
    /// <param name="random">The draws of the exploration slot (seeded in tests); required when exploration is on.</param>
    public static MatchOutcome Rank(ClientPreferences client, TherapistDirectory directory, IRankingModel model, int limit, Exploration exploration, Random? random)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(exploration);
        if (exploration.IsOn)
        {
            ArgumentNullException.ThrowIfNull(random);
        }

        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(model);
        var words = directory.Words;
        var sets = ArrayPool<ulong>.Shared.Rent(Math.Max(1, 2 * words));
        Span<int> excluded = stackalloc int[HardConstraintFilter.ConstraintCount];
        var eligibleSet = sets.AsSpan(0, words);
        var considered = HardConstraintFilter.Apply(client, directory, eligibleSet, sets.AsSpan(words, words), excluded);
        var eligible = Bits.Count(eligibleSet);
        var n = PairFeatures.Count;
        var slots = ArrayPool<int>.Shared.Rent(Math.Max(1, eligible));
        var features = ArrayPool<float>.Shared.Rent(Math.Max(1, eligible * n));
        var scores = ArrayPool<double>.Shared.Rent(Math.Max(1, eligible));
        var survivors = ArrayPool<int>.Shared.Rent(Math.Max(1, eligible));
        try
        {
            Bits.Collect(eligibleSet, slots);

            PairFeatures.Compute(client, directory, slots.AsSpan(0, eligible), features.AsSpan(0, eligible * n));

            // Only rows that can reach the shortlist are scored in full (exactly, ties kept); the
            // selection among those breaks ties by therapist id.
            var take = Math.Min(limit, eligible);
            var kept = take == 0 ? 0 : model.ScoreCandidates(features.AsSpan(0, eligible * n), eligible, take, scores.AsSpan(0, eligible), survivors.AsSpan(0, eligible));
            if (kept > 0 && directory.Prices.AppliesTo(model.Version))
            {
                kept = SubtractPrices(features, eligible, take, scores, survivors, kept, slots, directory.Prices, model);
            }

            Span<int> top = take <= 64 ? stackalloc int[take] : new int[take];
            SelectTop(scores.AsSpan(0, eligible), survivors.AsSpan(0, kept), slots.AsSpan(0, eligible), directory, top);
            var lastPropensity = 1.0;
            var explored = false;
            if (exploration.IsOn && take > 0)
            {
                (lastPropensity, explored) = Explore(exploration, random!, directory, model, features, eligible, slots, scores, top);
            }

            var ranked = new RankedTherapist[take];
            Span<double> contributions = stackalloc double[n];
            for (var p = 0; p < take; p++)
            {
                var i = top[p];
                var row = features.AsSpan(i * n, n);
                var candidate = directory.Entry(slots[i]).Candidate;
                model.Contributions(row, contributions);
                var last = p == take - 1;
                ranked[p] = new RankedTherapist(candidate.Profile, p + 1, scores[i], Explain(client, candidate, contributions, model, directory.Prior), row.ToArray(),
                    last ? lastPropensity : 1, last && explored);
            }

            var excludedBy = new Dictionary<Constraint, int>(HardConstraintFilter.ConstraintCount);
            for (var c = 0; c < excluded.Length; c++)
            {
                excludedBy[(Constraint)c] = excluded[c];
            }

            return new MatchOutcome(ranked, excludedBy, considered, eligible, model.Version);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(sets);
            ArrayPool<int>.Shared.Return(slots);
            ArrayPool<float>.Shared.Return(features);
            ArrayPool<double>.Shared.Return(scores);
            ArrayPool<int>.Shared.Return(survivors);
        }
    }

    /// <summary>
    /// The exploration slot: counts the n eligible under-observed rows outside the deterministic
    /// list; when n &gt; 0, with probability ε replaces the last row with the k-th of them, k uniform
    /// in [0, n), scored in full (less its price when the directory prices this model). Returns the
    /// last position's propensity: ε / n for an explored row, 1 − ε for the kept one, 1 when n = 0.
    /// </summary>
    private static (double Propensity, bool Explored) Explore(
        Exploration exploration, Random random, TherapistDirectory directory, IRankingModel model, float[] features, int eligible, int[] slots, double[] scores, Span<int> top)
    {
        // Drawn first: a match that does not explore (1 − ε of them) needs only to know whether
        // any row could have been drawn, and stops at the first.
        var share = exploration.Share;
        var explores = random.NextDouble() < share;
        var outside = 0;
        for (var r = 0; r < eligible && (explores || outside == 0); r++)
        {
            if (IsExplorable(r, exploration, directory, slots, top))
            {
                outside++;
            }
        }

        if (outside == 0)
        {
            return (1, false);
        }

        if (!explores)
        {
            return (1 - share, false);
        }

        var pick = random.Next(outside);
        var row = -1;
        for (var r = 0; r < eligible && row < 0; r++)
        {
            if (IsExplorable(r, exploration, directory, slots, top) && pick-- == 0)
            {
                row = r;
            }
        }

        var n = PairFeatures.Count;
        Span<double> score = stackalloc double[1];
        model.Score(features.AsSpan(row * n, n), 1, score);
        scores[row] = directory.Prices.AppliesTo(model.Version) ? score[0] - directory.Prices.At(slots[row]) : score[0];
        top[^1] = row;
        return (share / outside, true);
    }

    private static bool IsExplorable(int row, Exploration exploration, TherapistDirectory directory, int[] slots, ReadOnlySpan<int> top) =>
        exploration.IsUnderObserved(directory.Entry(slots[row]).Candidate.Track) && !top.Contains(row);

    /// <summary>
    /// Ranks by score minus capacity price, exactly: the survivors' scores are priced; a row the
    /// model dropped scored below the k-th best raw score S, so priced it stays below S minus its
    /// price, and only rows where that could still reach the k-th best priced survivor are scored
    /// in full and added. With no price on the leaders that is no row at all.
    /// </summary>
    private static int SubtractPrices(float[] features, int eligible, int take, double[] scores, int[] survivors, int kept, int[] slots, CapacityPrices prices, IRankingModel model)
    {
        var n = PairFeatures.Count;
        var raw = ArrayPool<double>.Shared.Rent(kept);
        var priced = ArrayPool<double>.Shared.Rent(kept);
        var extra = ArrayPool<int>.Shared.Rent(Math.Max(1, eligible - kept));
        try
        {
            for (var k = 0; k < kept; k++)
            {
                var r = survivors[k];
                raw[k] = scores[r];
                scores[r] -= prices.At(slots[r]);
                priced[k] = scores[r];
            }

            if (kept == eligible)
            {
                return kept;
            }

            var rawKth = KthLargest(raw.AsSpan(0, kept), take);
            var pricedKth = KthLargest(priced.AsSpan(0, kept), take);
            var extras = 0;
            var next = 0;
            for (var r = 0; r < eligible; r++)
            {
                if (next < kept && survivors[next] == r)
                {
                    next++;
                    continue;
                }

                if (rawKth - prices.At(slots[r]) >= pricedKth)
                {
                    extra[extras++] = r;
                }
            }

            if (extras == 0)
            {
                return kept;
            }

            var rows = ArrayPool<float>.Shared.Rent(extras * n);
            var extraScores = ArrayPool<double>.Shared.Rent(extras);
            try
            {
                for (var e = 0; e < extras; e++)
                {
                    features.AsSpan(extra[e] * n, n).CopyTo(rows.AsSpan(e * n, n));
                }

                model.Score(rows.AsSpan(0, extras * n), extras, extraScores.AsSpan(0, extras));
                for (var e = 0; e < extras; e++)
                {
                    var r = extra[e];
                    scores[r] = extraScores[e] - prices.At(slots[r]);
                    survivors[kept++] = r;
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(rows);
                ArrayPool<double>.Shared.Return(extraScores);
            }

            return kept;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(raw);
            ArrayPool<double>.Shared.Return(priced);
            ArrayPool<int>.Shared.Return(extra);
        }
    }

    // The k-th largest value (k >= 1; the smallest when there are fewer), sorting the span in place.
    private static double KthLargest(Span<double> values, int k)
    {
        values.Sort();
        return values[Math.Max(0, values.Length - k)];
    }

    /// <summary>
    /// The best <c>top.Length</c> of <paramref name="rows"/>, best first, ties broken by therapist id:
    /// a bounded insertion that compares most rows once against the current worst kept, instead of
    /// sorting every eligible therapist.
    /// </summary>
    private static void SelectTop(ReadOnlySpan<double> scores, ReadOnlySpan<int> rows, ReadOnlySpan<int> slots, TherapistDirectory directory, Span<int> top)
    {
        var kept = 0;
        foreach (var r in rows)
        {
            if (top.Length == 0)
            {
                return;
            }

            if (kept == top.Length && !Before(r, top[kept - 1], scores, slots, directory))
            {
                continue;
            }

            var at = kept < top.Length ? kept++ : kept - 1;
            while (at > 0 && Before(r, top[at - 1], scores, slots, directory))
            {
                top[at] = top[at - 1];
                at--;
            }

            top[at] = r;
        }
    }

    private static bool Before(int a, int b, ReadOnlySpan<double> scores, ReadOnlySpan<int> slots, TherapistDirectory directory)
    {
        var c = scores[a].CompareTo(scores[b]);
        return c != 0 ? c > 0 : string.CompareOrdinal(directory.Entry(slots[a]).Candidate.Profile.Id, directory.Entry(slots[b]).Candidate.Profile.Id) < 0;
    }

    /// <summary>Per-pillar fit from a model's contributions, and reasons from what the client stated and the therapist published (a track record judged against <paramref name="prior"/>).</summary>
    public static FitExplanation Explain(ClientPreferences client, Candidate candidate, ReadOnlySpan<double> contributions, IRankingModel model, AlliancePrior prior)
    {
        ArgumentNullException.ThrowIfNull(model);
        Span<double> byGroup = stackalloc double[GroupCount];
        for (var f = 0; f < PairFeatures.Count; f++)
        {
            byGroup[(int)PairFeatures.Schema[f].Group] += contributions[f];
        }

        return new FitExplanation(
            Fit(byGroup, FeatureGroup.Goals, model), Fit(byGroup, FeatureGroup.Tasks, model), Fit(byGroup, FeatureGroup.Bond, model), Reasons.For(client, candidate, prior));
    }

    private static readonly int GroupCount = Enum.GetValues<FeatureGroup>().Length;

    private static double Fit(ReadOnlySpan<double> byGroup, FeatureGroup g, IRankingModel model) =>
        Math.Round(Math.Clamp(0.5 + (0.5 * byGroup[(int)g] / model.ContributionScale(g)), 0, 1), 3);
}
