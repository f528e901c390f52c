using System.Globalization;
using System.Text;
using Matching.Engine.Ranking;

namespace Matching.Benchmarks;

/// <summary>
/// A deterministic ranking problem with a planted nonlinear relevance, large enough to time
/// training: each query has its documents' features drawn uniformly (some sparse), a hidden
/// relevance mixing thresholds, products and a sine, plus noise, and labels 0–4 from the
/// within-query rank of that relevance.
/// </summary>
internal static class SyntheticRanking
{
    public static RankingDataset Generate(int queries, int docsPerQuery, int features, int seed)
    {
        var random = new Random(seed);
        var rows = queries * docsPerQuery;
        var x = new float[rows * features];
        var labels = new float[rows];
        var relevance = new double[docsPerQuery];
        var order = new int[docsPerQuery];
        for (var q = 0; q < queries; q++)
        {
            // A per-query shift of one feature's effect: rankers must compare within queries.
            var queryShift = random.NextDouble() - 0.5;
            for (var d = 0; d < docsPerQuery; d++)
            {
                var row = (q * docsPerQuery) + d;
                var v = x.AsSpan(row * features, features);
                for (var f = 0; f < features; f++)
                {
                    // Every third feature is sparse (70% zeros), as counts and flags often are.
                    var sparse = f % 3 == 2 && random.NextDouble() < 0.7;
                    v[f] = sparse ? 0f : (float)Math.Round(random.NextDouble(), 4);
                }

                relevance[d] =
                    Math.Sin(3 * v[0]) * v[1]
                    + (v[2] > 0.5 ? v[3] : -v[3])
                    + (v[4] * v[5])
                    + (0.5 * v[6] * v[6])
                    + ((v[7] + queryShift) * (v[8] > 0 ? 1 : -0.5))
                    + (0.3 * Gaussian(random));
                order[d] = d;
            }

            Array.Sort(relevance, order);
            for (var rank = 0; rank < docsPerQuery; rank++)
            {
                var fromTop = (docsPerQuery - 1 - rank) / (double)docsPerQuery;
                labels[(q * docsPerQuery) + order[rank]] = fromTop switch
                {
                    < 0.05 => 4,
                    < 0.15 => 3,
                    < 0.35 => 2,
                    < 0.65 => 1,
                    _ => 0,
                };
            }
        }

        var bounds = new int[queries + 1];
        for (var q = 0; q <= queries; q++)
        {
            bounds[q] = q * docsPerQuery;
        }

        return new RankingDataset(x, rows, features, labels, bounds);
    }

    /// <summary>Writes LETOR text (0-based indices, zeros omitted) and its query file.</summary>
    public static void WriteLetor(RankingDataset data, string path)
    {
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
        {
            var line = new StringBuilder();
            for (var r = 0; r < data.Rows; r++)
            {
                line.Clear().Append(data.Labels[r].ToString(CultureInfo.InvariantCulture));
                var row = data.Row(r);
                for (var f = 0; f < row.Length; f++)
                {
                    if (row[f] != 0)
                    {
                        line.Append(' ').Append(f.ToString(CultureInfo.InvariantCulture)).Append(':')
                            .Append(row[f].ToString(CultureInfo.InvariantCulture));
                    }
                }

                writer.WriteLine(line);
            }
        }

        using var query = new StreamWriter(path + ".query", false, new UTF8Encoding(false));
        for (var q = 0; q < data.QueryCount; q++)
        {
            query.WriteLine((data.QueryBoundaries[q + 1] - data.QueryBoundaries[q]).ToString(CultureInfo.InvariantCulture));
        }
    }

    private static double Gaussian(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
