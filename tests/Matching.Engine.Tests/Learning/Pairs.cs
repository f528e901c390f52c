using Matching.Engine.Domain;
using Matching.Engine.Learning;
using Matching.Engine.Matching;

namespace Matching.Engine.Tests.Learning;

/// <summary>
/// Hand-made labeled pairs. Each pair carries a marker in feature 0 so a test can tell which
/// pair landed in which dataset row; everything not under test has a fixed, unremarkable value.
/// </summary>
internal static class Pairs
{
    /// <summary>Monday 6 January 2025, 09:00 UTC.</summary>
    public static readonly DateTimeOffset Start = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A pair shown <paramref name="day"/> days after <see cref="Start"/>, labeled with a grade-2 rating
    /// unless another alliance is given. Feature 0 holds <paramref name="marker"/>.
    /// </summary>
    public static LabeledPair Pair(
        int marker,
        double day = 0,
        Goal? goal = Goal.Anxiety,
        string? clientId = null,
        double? alliance = 0.6,
        int? dropoutSession = null,
        bool rematched = false,
        int featureCount = -1) => new(
            ShortlistId: IdOf(marker),
            ClientId: clientId ?? $"c-{marker}",
            TherapistId: $"t-{marker % 7}",
            ShownAt: Start + TimeSpan.FromDays(day),
            FirstGoal: goal,
            Features: Features(marker, featureCount < 0 ? PairFeatures.Count : featureCount),
            Alliance: alliance,
            DropoutSession: dropoutSession,
            Rematched: rematched);

    /// <summary>A pair with no rating and no outcome: not labeled yet.</summary>
    public static LabeledPair Unlabeled(int marker, double day = 0, Goal? goal = Goal.Anxiety) =>
        Pair(marker, day, goal, alliance: null);

    /// <summary>A deterministic shortlist id per marker, so ties in time are broken predictably.</summary>
    public static Guid IdOf(int marker) => new(marker, 0, 0, new byte[8]);

    /// <summary>The markers of a dataset's rows, in row order.</summary>
    public static int[] Markers(Engine.Ranking.RankingDataset data) =>
        Enumerable.Range(0, data.Rows).Select(r => (int)data.Row(r)[0]).ToArray();

    /// <summary>The markers of each query, in query order.</summary>
    public static int[][] Queries(Engine.Ranking.RankingDataset data) =>
        Enumerable.Range(0, data.QueryCount)
            .Select(q => Enumerable.Range(data.QueryBoundaries[q], data.QueryBoundaries[q + 1] - data.QueryBoundaries[q]).Select(r => (int)data.Row(r)[0]).ToArray())
            .ToArray();

    private static float[] Features(int marker, int count)
    {
        var features = new float[count];
        for (var f = 0; f < count; f++)
        {
            features[f] = f == 0 ? marker : f / 100f;
        }

        return features;
    }
}
