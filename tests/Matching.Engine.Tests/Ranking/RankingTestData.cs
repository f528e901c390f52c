using System.Globalization;
using Matching.Engine.Ranking;

namespace Matching.Engine.Tests.Ranking;

/// <summary>Small deterministic ranking problems with a known answer.</summary>
internal static class RankingTestData
{
    public const int Features = 5;

    /// <summary>
    /// Label = 2 if x0 &gt; 0.6, 1 if x0 &gt; 0.3, else 0, bumped by one when x3 &gt; 0.8; x1, x2 and
    /// x4 are noise. A ranker that learns x0 (and x3) orders every query perfectly.
    /// </summary>
    public static RankingDataset Planted(int queries, int docsPerQuery, int seed)
    {
        var random = new Random(seed);
        var rows = queries * docsPerQuery;
        var x = new float[rows * Features];
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < Features; f++)
            {
                x[(r * Features) + f] = (float)random.NextDouble();
            }

            var x0 = x[r * Features];
            labels[r] = (x0 > 0.6f ? 2 : x0 > 0.3f ? 1 : 0) + (x[(r * Features) + 3] > 0.8f ? 1 : 0);
        }

        var bounds = new int[queries + 1];
        for (var q = 0; q <= queries; q++)
        {
            bounds[q] = q * docsPerQuery;
        }

        return new RankingDataset(x, rows, Features, labels, bounds);
    }

    public static double[] Scores(LambdaMartModel model, RankingDataset data)
    {
        var scores = new double[data.Rows];
        model.Score(data.Features, data.Rows, scores);
        return scores;
    }

    /// <summary>The LETOR example next to the repository (repoRoot/../shared/data/ltr-example), or null.</summary>
    public static string? FindLtrExample()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "ltr-example");
            if (File.Exists(Path.Combine(candidate, "rank.train")))
            {
                return candidate;
            }
        }

        return null;
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
