namespace Matching.Engine.Ranking;

/// <summary>
/// Mean NDCG at several cut-offs over one dataset, evaluated many times (every boosting round):
/// the ideal DCGs are computed once, and each query is ranked once per call for all cut-offs.
/// Gives the same values as <see cref="Ndcg.At"/>.
/// </summary>
internal sealed class NdcgEvaluator
{
    private readonly RankingDataset _data;
    private readonly int[] _ks;
    private readonly double[] _rowGains;
    private readonly double[] _idealDcg;
    private readonly RankKey[] _keys;

    public NdcgEvaluator(RankingDataset data, IReadOnlyList<int> ks, IReadOnlyList<double>? labelGains)
    {
        _data = data;
        _ks = [.. ks];
        _rowGains = new double[data.Rows];
        for (var r = 0; r < data.Rows; r++)
        {
            _rowGains[r] = Ndcg.Gain(data.Labels[r], labelGains);
        }

        var maxLength = 0;
        for (var q = 0; q < data.QueryCount; q++)
        {
            maxLength = Math.Max(maxLength, data.QueryBoundaries[q + 1] - data.QueryBoundaries[q]);
        }

        var scratch = new float[maxLength];
        _idealDcg = new double[data.QueryCount * _ks.Length];
        for (var q = 0; q < data.QueryCount; q++)
        {
            var labels = data.Labels.AsSpan(data.QueryBoundaries[q], data.QueryBoundaries[q + 1] - data.QueryBoundaries[q]);
            for (var i = 0; i < _ks.Length; i++)
            {
                _idealDcg[q * _ks.Length + i] = Ndcg.IdealDcg(labels, _ks[i], labelGains, scratch);
            }
        }

        _keys = new RankKey[maxLength];
    }

    public double[] Evaluate(ReadOnlySpan<double> scores)
    {
        var sums = new double[_ks.Length];
        var maxK = 0;
        foreach (var k in _ks)
        {
            maxK = Math.Max(maxK, k);
        }

        var bounds = _data.QueryBoundaries;
        for (var q = 0; q < _data.QueryCount; q++)
        {
            var start = bounds[q];
            var count = bounds[q + 1] - start;
            var keys = _keys.AsSpan(0, count);
            for (var i = 0; i < count; i++)
            {
                keys[i] = new RankKey(scores[start + i], _data.Labels[start + i], i);
            }

            keys.Sort();
            var dcg = 0.0;
            for (var rank = 0; rank < Math.Min(maxK, count); rank++)
            {
                dcg += _rowGains[start + keys[rank].Index] * Ndcg.Discount(rank);
                for (var i = 0; i < _ks.Length; i++)
                {
                    if (Math.Min(_ks[i], count) == rank + 1)
                    {
                        var ideal = _idealDcg[q * _ks.Length + i];
                        sums[i] += ideal > 0 ? dcg / ideal : 1.0;
                    }
                }
            }
        }

        var queries = Math.Max(1, _data.QueryCount);
        for (var i = 0; i < sums.Length; i++)
        {
            sums[i] /= queries;
        }

        return sums;
    }
}
