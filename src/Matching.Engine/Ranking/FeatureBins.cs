namespace Matching.Engine.Ranking;

/// <summary>
/// The training features quantised to at most 255 quantile bins each, stored one byte per value
/// and column-major, so a histogram pass over one feature reads one contiguous byte array.
/// </summary>
/// <remarks>
/// Bin b of feature f holds the values x with <c>UpperBounds[f][b-1] &lt; x &lt;= UpperBounds[f][b]</c>;
/// a split "bin &lt;= b" is therefore exactly the raw test "x &lt;= UpperBounds[f][b]" the model
/// scores with. NaN is put in bin 0, and the model's scoring sends NaN left, which agrees.
/// </remarks>
internal sealed class FeatureBins
{
    /// <summary>Rows sampled per feature to find the quantiles: about 200 per bin at 255 bins.</summary>
    private const int QuantileSampleRows = 50_000;

    /// <summary>Rows binned together so a block of row-major input stays in cache across features.</summary>
    private const int RowBlock = 512;

    /// <summary>A bin holding at least this share of the rows is skipped while building histograms (see <see cref="DefaultBin"/>).</summary>
    private const double DefaultBinShare = 0.8;

    private FeatureBins(int rows, float[][] upperBounds, byte[][] columns)
    {
        Rows = rows;
        UpperBounds = upperBounds;
        Columns = columns;
        DefaultBin = new int[upperBounds.Length];
        Span<int> counts = stackalloc int[256];
        for (var f = 0; f < upperBounds.Length; f++)
        {
            counts.Clear();
            foreach (var bin in columns[f])
            {
                counts[bin]++;
            }

            var most = 0;
            for (var b = 1; b < upperBounds[f].Length; b++)
            {
                most = counts[b] > counts[most] ? b : most;
            }

            DefaultBin[f] = rows > 0 && counts[most] >= DefaultBinShare * rows ? most : -1;
        }

        BinOffsets = new int[upperBounds.Length + 1];
        for (var f = 0; f < upperBounds.Length; f++)
        {
            BinOffsets[f + 1] = BinOffsets[f] + upperBounds[f].Length;
        }
    }

    public int Rows { get; }

    public int FeatureCount => UpperBounds.Length;

    /// <summary>Per feature, the inclusive upper value of each bin; the last is +∞.</summary>
    public float[][] UpperBounds { get; }

    /// <summary>
    /// Per feature, the bin that holds most rows when it holds at least 80% of them (0 in a sparse
    /// feature), else −1. Histogram passes skip its rows and derive it from the leaf totals.
    /// </summary>
    public int[] DefaultBin { get; }

    /// <summary>Per feature, the bin of every row.</summary>
    public byte[][] Columns { get; }

    /// <summary>Offset of each feature's bins in a flat histogram; the last entry is the total.</summary>
    public int[] BinOffsets { get; }

    public int TotalBins => BinOffsets[^1];

    public int BinCount(int feature) => UpperBounds[feature].Length;

    public static FeatureBins Build(RankingDataset data, int maxBins, int threads)
    {
        var rows = data.Rows;
        var featureCount = data.FeatureCount;
        var upperBounds = new float[featureCount][];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };

        // Evenly strided rows, not random ones: the bins then depend only on the data.
        var sampleCount = Math.Min(rows, QuantileSampleRows);
        var stride = rows / (double)Math.Max(1, sampleCount);
        var sample = new float[sampleCount];
        for (var f = 0; f < featureCount; f++)
        {
            // Zeros are counted, not sorted: most features of ranking data are mostly 0.
            var n = 0;
            var zeros = 0;
            for (var i = 0; i < sampleCount; i++)
            {
                var value = data.Features[((long)(int)(i * stride) * featureCount) + f];
                if (value == 0)
                {
                    zeros++;
                }
                else if (!float.IsNaN(value))
                {
                    sample[n++] = value;
                }
            }

            upperBounds[f] = FindUpperBounds(sample.AsSpan(0, n), zeros, maxBins);
        }

        var columns = new byte[featureCount][];
        for (var f = 0; f < featureCount; f++)
        {
            columns[f] = new byte[rows];
        }

        var blocks = (rows + RowBlock - 1) / RowBlock;
        Parallel.For(0, blocks, parallel, block =>
        {
            var start = block * RowBlock;
            var end = Math.Min(rows, start + RowBlock);
            for (var f = 0; f < featureCount; f++)
            {
                var bounds = upperBounds[f];
                var column = columns[f];
                for (var r = start; r < end; r++)
                {
                    column[r] = (byte)BinOf(bounds, data.Features[(long)r * featureCount + f]);
                }
            }
        });

        return new FeatureBins(rows, upperBounds, columns);
    }

    /// <summary>The first bin whose upper bound is at least <paramref name="value"/>; NaN is bin 0.</summary>
    public static int BinOf(float[] upperBounds, float value)
    {
        if (float.IsNaN(value))
        {
            return 0;
        }

        // Branch-free lower bound: the comparisons are unpredictable, the selects are not.
        var lo = 0;
        var n = upperBounds.Length;
        while (n > 1)
        {
            var half = n >> 1;
            lo = value > upperBounds[lo + half - 1] ? lo + half : lo;
            n -= half;
        }

        return lo;
    }

    /// <summary>
    /// Equal-frequency bin bounds over the distinct sampled values, placed half-way between
    /// neighbouring distinct values. A value frequent enough to fill a bin on its own (0 in sparse
    /// features) gets its own bin instead of being merged with its neighbours.
    /// </summary>
    internal static float[] FindUpperBounds(Span<float> nonZero, int zeros, int maxBins)
    {
        if (nonZero.IsEmpty)
        {
            return [float.PositiveInfinity];
        }

        nonZero.Sort();
        var distinct = new List<float>();
        var counts = new List<int>();
        var zeroPlaced = zeros == 0;
        for (var i = 0; i < nonZero.Length; i++)
        {
            if (!zeroPlaced && nonZero[i] > 0)
            {
                distinct.Add(0f);
                counts.Add(zeros);
                zeroPlaced = true;
            }

            if (distinct.Count == 0 || nonZero[i] != distinct[^1])
            {
                distinct.Add(nonZero[i]);
                counts.Add(1);
            }
            else
            {
                counts[^1]++;
            }
        }

        if (!zeroPlaced)
        {
            distinct.Add(0f);
            counts.Add(zeros);
        }

        var total = (double)(nonZero.Length + zeros);
        var bounds = new List<float>();
        if (distinct.Count <= maxBins)
        {
            for (var i = 0; i + 1 < distinct.Count; i++)
            {
                bounds.Add(Midpoint(distinct[i], distinct[i + 1]));
            }
        }
        else
        {
            var perBin = total / maxBins;
            var cumulative = 0L;
            var inBin = 0L;
            for (var i = 0; i + 1 < distinct.Count && bounds.Count < maxBins - 1; i++)
            {
                cumulative += counts[i];
                inBin += counts[i];
                var reachedQuantile = cumulative >= (bounds.Count + 1) * perBin;
                var nextFillsBin = counts[i + 1] >= perBin;
                if (reachedQuantile || nextFillsBin || (counts[i] >= perBin && inBin > 0))
                {
                    bounds.Add(Midpoint(distinct[i], distinct[i + 1]));
                    inBin = 0;
                }
            }
        }

        bounds.Add(float.PositiveInfinity);
        return [.. bounds];
    }

    private static float Midpoint(float low, float high)
    {
        var mid = (float)(((double)low + high) / 2);

        // Between adjacent floats the midpoint can round up to the higher value; the bound must
        // stay strictly below it so the higher value lands in the next bin.
        return mid < high && mid >= low ? mid : low;
    }
}
