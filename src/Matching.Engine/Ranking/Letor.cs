using System.Globalization;

namespace Matching.Engine.Ranking;

/// <summary>
/// Reads SVMlight/LETOR ranking files: one row per line, <c>label [qid:q] index:value ...</c>,
/// with an optional LightGBM-style query file holding one group size per line.
/// </summary>
/// <remarks>
/// <para>
/// Feature indices are used as column numbers as written, like XGBoost does: index 0 is column 0,
/// and a file whose indices start at 1 simply has an all-zero column 0. Contributions and feature
/// importance are therefore indexed by the number that appears in the file.
/// </para>
/// <para>
/// Absent features are 0. Text after <c>#</c> is a comment; blank lines are skipped. Without a
/// query file, consecutive rows with the same <c>qid:</c> form a query (or the whole file is one
/// query when there is no <c>qid:</c>); with one, <c>qid:</c> tokens are ignored.
/// </para>
/// </remarks>
public static class Letor
{
    /// <summary>Reads a LETOR file, and its query file when given.</summary>
    /// <param name="path">The data file.</param>
    /// <param name="queryPath">Optional group-size file; its sizes must add up to the data file's row count.</param>
    /// <param name="featureCount">
    /// Fixes the column count, e.g. to a model's; values at indices at or above it are dropped, as a
    /// model cannot use them. Null makes it the largest index seen plus one.
    /// </param>
    /// <exception cref="LetorFormatException">A line cannot be parsed or the group sizes do not fit; names the file and line.</exception>
    public static RankingDataset Read(string path, string? queryPath = null, int? featureCount = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (featureCount is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(featureCount));
        }

        var labels = new List<float>();
        var rowStarts = new List<int> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        var qids = new List<string?>();
        var maxIndex = -1;
        var lineNumber = 0;
        var useQid = queryPath is null;

        using (var reader = new StreamReader(path))
        {
            while (reader.ReadLine() is { } text)
            {
                lineNumber++;
                var line = text.AsSpan();
                var hash = line.IndexOf('#');
                if (hash >= 0)
                {
                    line = line[..hash];
                }

                line = line.Trim();
                if (line.IsEmpty)
                {
                    continue;
                }

                var first = true;
                string? qid = null;
                foreach (var range in line.SplitAny(" \t"))
                {
                    var token = line[range];
                    if (token.IsEmpty)
                    {
                        continue;
                    }

                    if (first)
                    {
                        first = false;
                        if (!float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var label)
                            || !(label >= 0) || float.IsInfinity(label))
                        {
                            throw new LetorFormatException(path, lineNumber, $"bad label '{token}' (expected a non-negative number)");
                        }

                        labels.Add(label);
                        continue;
                    }

                    var colon = token.IndexOf(':');
                    if (colon <= 0)
                    {
                        throw new LetorFormatException(path, lineNumber, $"bad token '{token}' (expected index:value)");
                    }

                    var key = token[..colon];
                    var valueText = token[(colon + 1)..];
                    if (key.SequenceEqual("qid"))
                    {
                        if (valueText.IsEmpty)
                        {
                            throw new LetorFormatException(path, lineNumber, $"bad token '{token}' (empty qid)");
                        }

                        qid = useQid ? valueText.ToString() : null;
                        continue;
                    }

                    if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    {
                        throw new LetorFormatException(path, lineNumber, $"bad token '{token}' (feature index must be a non-negative integer)");
                    }

                    if (!float.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    {
                        throw new LetorFormatException(path, lineNumber, $"bad token '{token}' (value is not a number)");
                    }

                    if (featureCount is { } fixedCount && index >= fixedCount)
                    {
                        continue;
                    }

                    indices.Add(index);
                    values.Add(value);
                    maxIndex = Math.Max(maxIndex, index);
                }

                rowStarts.Add(indices.Count);
                qids.Add(qid);
                if (useQid && qids.Count > 1 && (qids[0] is null) != (qid is null))
                {
                    throw new LetorFormatException(path, lineNumber, "some rows have qid: and others do not");
                }
            }
        }

        var rows = labels.Count;
        var columns = featureCount ?? maxIndex + 1;
        var features = new float[(long)rows * columns];
        for (var r = 0; r < rows; r++)
        {
            var rowOffset = (long)r * columns;
            for (var i = rowStarts[r]; i < rowStarts[r + 1]; i++)
            {
                features[rowOffset + indices[i]] = values[i];
            }
        }

        var boundaries = queryPath is not null
            ? ReadGroupSizes(queryPath, path, rows)
            : BoundariesFromQids(qids);
        return new RankingDataset(features, rows, columns, [.. labels], boundaries);
    }

    private static int[] BoundariesFromQids(List<string?> qids)
    {
        var boundaries = new List<int> { 0 };
        for (var r = 1; r < qids.Count; r++)
        {
            if (!string.Equals(qids[r], qids[r - 1], StringComparison.Ordinal))
            {
                boundaries.Add(r);
            }
        }

        if (qids.Count > 0)
        {
            boundaries.Add(qids.Count);
        }

        return [.. boundaries];
    }

    private static int[] ReadGroupSizes(string queryPath, string dataPath, int rows)
    {
        var boundaries = new List<int> { 0 };
        var lineNumber = 0;
        var total = 0L;
        foreach (var text in File.ReadLines(queryPath))
        {
            lineNumber++;
            var line = text.AsSpan().Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size <= 0)
            {
                throw new LetorFormatException(queryPath, lineNumber, $"bad group size '{line}' (expected a positive integer)");
            }

            total += size;
            if (total > rows)
            {
                throw new LetorFormatException(queryPath, lineNumber,
                    $"group sizes add up to {total} here, more than the {rows} rows of {dataPath}");
            }

            boundaries.Add((int)total);
        }

        if (total != rows)
        {
            throw new LetorFormatException(queryPath, lineNumber,
                $"group sizes add up to {total}, but {dataPath} has {rows} rows");
        }

        return [.. boundaries];
    }
}

/// <summary>A LETOR data or query file that cannot be read; the message names the file and the line.</summary>
public sealed class LetorFormatException : FormatException
{
    /// <summary>Creates the exception for a problem at <paramref name="filePath"/>:<paramref name="lineNumber"/>.</summary>
    public LetorFormatException(string filePath, int lineNumber, string problem)
        : base($"{filePath}:{lineNumber.ToString(CultureInfo.InvariantCulture)}: {problem}")
    {
        FilePath = filePath;
        LineNumber = lineNumber;
    }

    /// <summary>The file that could not be read.</summary>
    public string FilePath { get; }

    /// <summary>1-based line number of the problem (the last line when the problem is a missing total).</summary>
    public int LineNumber { get; }
}
