using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Engine.Learning;

/// <summary>
/// One chosen therapist and what became of the match: the features logged when the shortlist
/// was shown, the first alliance rating (normalised overall, 0-1) if any, and the outcome.
/// </summary>
/// <param name="ShortlistId">The shortlist.</param>
/// <param name="ClientId">Pseudonymous client.</param>
/// <param name="TherapistId">The therapist chosen.</param>
/// <param name="ShownAt">When the shortlist was served.</param>
/// <param name="FirstGoal">The client's first goal.</param>
/// <param name="Features">Pair features as logged (schema <see cref="PairFeatures.SchemaVersion"/>).</param>
/// <param name="Alliance">Overall alliance of the earliest rating, 0-1, or null.</param>
/// <param name="DropoutSession">Session after which the client dropped out, or null.</param>
/// <param name="Rematched">Whether the client asked for another therapist.</param>
/// <param name="Propensity">
/// The logged probability that the chosen therapist was shown at its position, given the items
/// above it, under the policy that served the shortlist; 1 when not logged (the deterministic ranking).
/// </param>
/// <param name="Position">The chosen therapist's 1-based position on the shortlist; 0 when unknown.</param>
public sealed record LabeledPair(
    Guid ShortlistId,
    string ClientId,
    string TherapistId,
    DateTimeOffset ShownAt,
    Goal? FirstGoal,
    float[] Features,
    double? Alliance,
    int? DropoutSession,
    bool Rematched,
    double Propensity = 1,
    int Position = 0);

/// <summary>How labeled pairs are grouped into LambdaMART queries.</summary>
public enum GroupingPolicy
{
    /// <summary>
    /// Clients with the same first goal who arrived in the same four weeks: each client usually
    /// sees one therapist, so the comparison is between similar clients' matches. The default,
    /// chosen by the evaluation (see README).
    /// </summary>
    Cohort,
    /// <summary>One query per client; only clients with two or more labels (rematches) count.</summary>
    Client,
    /// <summary>All pairs in one period in one query (closest to pointwise regression).</summary>
    Period,
}

/// <summary>
/// The label policy: alliance ratings normalised across instruments become grades 0-4, and a
/// dropout before any rating is a grade 0 (dropouts have lower alliance, d ≈ .55, and half of
/// them leave before session 3, so ignoring them would hide exactly the worst matches). A match
/// that ended in a dropout or rematch after its rating loses one grade (floor 1). A match with
/// no rating and no dropout yet is not labeled.
/// </summary>
public static class AllianceLabel
{
    /// <summary>Highest grade.</summary>
    public const int MaxGrade = 4;

    /// <summary>Grade cut points on the 0-1 overall alliance (WAI-SR item means about 3.2, 3.8 and 4.4).</summary>
    public static IReadOnlyList<double> CutPoints { get; } = [0.55, 0.70, 0.85];

    /// <summary>The grade of a pair, or null when it has no label yet.</summary>
    public static int? Grade(LabeledPair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (pair.Alliance is not { } alliance)
        {
            return pair.DropoutSession is not null || pair.Rematched ? 0 : null;
        }

        var grade = 1;
        foreach (var cut in CutPoints)
        {
            grade += alliance >= cut ? 1 : 0;
        }

        return pair.DropoutSession is not null || pair.Rematched ? Math.Max(1, grade - 1) : grade;
    }
}

/// <summary>Builds LambdaMART datasets from labeled pairs.</summary>
public static class TrainingSet
{
    /// <summary>Length of a cohort window.</summary>
    public static readonly TimeSpan CohortWindow = TimeSpan.FromDays(28);

    /// <summary>
    /// Most matches in one cohort query: a larger cohort is cut, in arrival order, into queries of
    /// at most this many, so LambdaRank compares every pair in a query rather than only the pairs
    /// that touch its top ranks.
    /// </summary>
    public const int MaxCohortSize = 16;

    /// <summary>Splits by time: pairs shown before the cutoff train, the rest are the holdout.</summary>
    public static (IReadOnlyList<LabeledPair> Train, IReadOnlyList<LabeledPair> Holdout) SplitByTime(IReadOnlyList<LabeledPair> pairs, DateTimeOffset cutoff)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return (pairs.Where(p => p.ShownAt < cutoff).ToList(), pairs.Where(p => p.ShownAt >= cutoff).ToList());
    }

    /// <summary>The time before which <paramref name="trainFraction"/> of the pairs were shown.</summary>
    public static DateTimeOffset CutoffAt(IReadOnlyList<LabeledPair> pairs, double trainFraction)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("No labeled pairs.", nameof(pairs));
        }

        var times = pairs.Select(p => p.ShownAt).Order().ToList();
        return times[Math.Clamp((int)(trainFraction * times.Count), 0, times.Count - 1)];
    }

    /// <summary>
    /// Labels and groups pairs into a dataset. Unlabeled pairs are dropped; queries with a single
    /// row are dropped (they carry no pairwise information).
    /// </summary>
    /// <param name="pairs">The labeled pairs.</param>
    /// <param name="grouping">How they are grouped into queries.</param>
    /// <param name="propensityClip">
    /// 0: unweighted. Otherwise each row weighs min(clip, 1 / propensity of the chosen therapist),
    /// scaled so that the weights average 1 (the regularisation and the leaf-size limits keep their
    /// meaning): the inverse-propensity correction of the logging policy's selection.
    /// </param>
    public static RankingDataset Build(IReadOnlyList<LabeledPair> pairs, GroupingPolicy grouping, double propensityClip = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(propensityClip);
        ArgumentNullException.ThrowIfNull(pairs);
        var labeled = pairs.Select(p => (Pair: p, Grade: AllianceLabel.Grade(p))).Where(x => x.Grade is not null).ToList();
        var epoch = labeled.Count == 0 ? DateTimeOffset.UnixEpoch : labeled.Min(x => x.Pair.ShownAt);
        string Key(LabeledPair p) => grouping switch
        {
            GroupingPolicy.Cohort => $"{p.FirstGoal}|{(int)((p.ShownAt - epoch) / CohortWindow)}",
            GroupingPolicy.Client => p.ClientId,
            _ => "all",
        };

        var groups = labeled
            .GroupBy(x => Key(x.Pair), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .SelectMany(g =>
            {
                var ordered = g.OrderBy(x => x.Pair.ShownAt).ThenBy(x => x.Pair.ShortlistId).ToList();
                return grouping == GroupingPolicy.Cohort ? ordered.Chunk(MaxCohortSize).Select(c => c.ToList()) : [ordered];
            })
            .Where(g => g.Count > 1)
            .ToList();
        var rows = groups.Sum(g => g.Count);
        var n = PairFeatures.Count;
        var features = new float[rows * n];
        var labels = new float[rows];
        var weights = propensityClip > 0 ? new float[rows] : null;
        var sizes = new List<int>(groups.Count);
        var r = 0;
        foreach (var group in groups)
        {
            sizes.Add(group.Count);
            foreach (var (pair, grade) in group)
            {
                if (pair.Features.Length != n)
                {
                    throw new InvalidDataException($"Shortlist {pair.ShortlistId} logged {pair.Features.Length} features; schema {PairFeatures.SchemaVersion} has {n}.");
                }

                pair.Features.CopyTo(features, r * n);
                if (weights is not null)
                {
                    weights[r] = (float)InversePropensity(pair.Propensity, propensityClip);
                }

                labels[r++] = grade!.Value;
            }
        }

        if (weights is { Length: > 0 })
        {
            var mean = weights.Average(w => (double)w);
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)(weights[i] / mean);
            }
        }

        return new RankingDataset(features, rows, n, labels, RankingDataset.BoundariesFromGroupSizes(sizes), PairFeatures.Schema.Select(f => f.Name).ToList(), weights);
    }

    /// <summary>min(clip, 1 / propensity); a propensity that is not in (0, 1] counts as 1 (not logged).</summary>
    public static double InversePropensity(double propensity, double clip) =>
        propensity is > 0 and <= 1 ? Math.Min(clip, 1 / propensity) : 1;
}
