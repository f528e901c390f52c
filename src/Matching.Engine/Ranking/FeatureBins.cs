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
    /// <summary>Rows sampled per feature to find the quantiles (LightGBM's default sample size).</summary>
    private const int QuantileSampleRows = 200_000;

    /// <summary>Rows binned together so a block of row-major input stays in cache across features.</summary>
    private const int RowBlock = 512;

    private FeatureBins(int rows, float[][] upperBounds, byte[][] columns)
    {
        Rows = rows;
        UpperBounds = upperBounds;
        Columns = columns;
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
        Parallel.For(0, featureCount, parallel, () => new float[sampleCount], (f, _, sample) =>
        {
            var n = 0;
            for (var i = 0; i < sampleCount; i++)
            {
                var value = data.Features[(long)(int)(i * stride) * featureCount + f];
                if (!float.IsNaN(value))
                {
                    sample[n++] = value;
                }
            }

            upperBounds[f] = FindUpperBounds(sample.AsSpan(0, n), maxBins);
            return sample;
        }, static _ => { });

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

        int lo = 0, hi = upperBounds.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (value <= upperBounds[mid])
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    /// <summary>
    /// Equal-frequency bin bounds over the distinct sampled values, placed half-way between
    /// neighbouring distinct values. A value frequent enough to fill a bin on its own (0 in sparse
    /// features) gets its own bin instead of being merged with its neighbours.
    /// </summary>
    internal static float[] FindUpperBounds(Span<float> sample, int maxBins)
    {
        if (sample.IsEmpty)
        {
            return [float.PositiveInfinity];
        }

        sample.Sort();
        var distinct = new List<float>();
        var counts = new List<int>();
        for (var i = 0; i < sample.Length; i++)
        {
            if (i == 0 || sample[i] != sample[i - 1])
            {
                distinct.Add(sample[i]);
                counts.Add(1);
            }
            else
            {
                counts[^1]++;
            }
        }

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
            var total = (double)sample.Length;
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
