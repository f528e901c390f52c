using System.Text.Json;
using System.Text.Json.Serialization;

namespace Matching.Engine.Ranking;

public sealed partial class LambdaMartModel
{
    /// <summary>Value of the <c>format</c> field that identifies a model file.</summary>
    public const string FileFormat = "matching.lambdamart";

    /// <summary>Version of the JSON layout written by <see cref="Save(Stream)"/>; <see cref="Load(Stream)"/> reads only this version.</summary>
    public const int FileFormatVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Writes the model as versioned JSON. The bytes depend only on the model.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var document = new ModelDocument
        {
            Format = FileFormat,
            FormatVersion = FileFormatVersion,
            FeatureCount = FeatureCount,
            FeatureNames = [.. FeatureNames],
            Options = Options,
            BestIteration = BestIteration,
            Iterations = [.. Iterations.Select(static m => new IterationDocument
            {
                Iteration = m.Iteration,
                Train = [.. m.TrainNdcg],
                Valid = m.ValidNdcg is null ? null : [.. m.ValidNdcg],
            })],
            Trees = [.. _trees.Select(static t => new TreeDocument
            {
                SplitFeature = t.SplitFeature,
                Threshold = t.Threshold,
                Left = t.Left,
                Right = t.Right,
                SplitGain = t.SplitGain,
                NodeValue = t.NodeValue,
                LeafValue = t.LeafValue,
                LeafHessian = t.LeafHessian,
            })],
        };
        JsonSerializer.Serialize(stream, document, JsonOptions);
    }

    /// <summary>Writes the model to a file (replacing it).</summary>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        Save(stream);
    }

    /// <summary>
    /// Reads a model written by <see cref="Save(Stream)"/>. Everything is checked before the model
    /// is built, so a damaged file never yields a partly working model.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream is not a complete, consistent model file of this format version; the message says what is wrong.</exception>
    public static LambdaMartModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ModelDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<ModelDocument>(stream, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model file is not valid model JSON (truncated or corrupt): {e.Message}", e);
        }

        if (document is null)
        {
            throw new InvalidDataException("Model file is empty (JSON null).");
        }

        return FromDocument(document);
    }

    /// <summary>Reads a model file; see <see cref="Load(Stream)"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid model; the message names the file and the problem.</exception>
    public static LambdaMartModel Load(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static LambdaMartModel FromDocument(ModelDocument d)
    {
        if (d.Format != FileFormat)
        {
            throw new InvalidDataException($"Not a model file: format is '{d.Format}', expected '{FileFormat}'.");
        }

        if (d.FormatVersion != FileFormatVersion)
        {
            throw new InvalidDataException($"Unsupported model format version {d.FormatVersion}; this build reads version {FileFormatVersion}.");
        }

        if (d.FeatureCount < 0)
        {
            throw new InvalidDataException($"Feature count {d.FeatureCount} is negative.");
        }

        var names = Require(d.FeatureNames, "featureNames");
        if (names.Length != d.FeatureCount || Array.Exists(names, static n => n is null))
        {
            throw new InvalidDataException($"Expected {d.FeatureCount} feature names, found {names.Length} (or a null name).");
        }

        var options = Require(d.Options, "options");
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Invalid training options: {e.Message}", e);
        }

        var documents = Require(d.Trees, "trees");
        var trees = new RegressionTree[documents.Length];
        for (var t = 0; t < documents.Length; t++)
        {
            var td = documents[t] ?? throw new InvalidDataException($"Tree {t} is null.");
            var tree = new RegressionTree(
                Require(td.SplitFeature, $"trees[{t}].splitFeature"),
                Require(td.Threshold, $"trees[{t}].threshold"),
                Require(td.Left, $"trees[{t}].left"),
                Require(td.Right, $"trees[{t}].right"),
                Require(td.SplitGain, $"trees[{t}].splitGain"),
                Require(td.NodeValue, $"trees[{t}].nodeValue"),
                Require(td.LeafValue, $"trees[{t}].leafValue"),
                Require(td.LeafHessian, $"trees[{t}].leafHessian"));
            if (tree.FindProblem(d.FeatureCount) is { } problem)
            {
                throw new InvalidDataException($"Tree {t}: {problem}.");
            }

            trees[t] = tree;
        }

        var iterations = new List<IterationMetrics>();
        var evalCount = options.EvalAt.Count;
        foreach (var it in Require(d.Iterations, "iterations"))
        {
            if (it?.Train is null || it.Train.Length != evalCount || (it.Valid is not null && it.Valid.Length != evalCount))
            {
                throw new InvalidDataException($"Iteration metrics must hold {evalCount} values per set (one per evalAt cut-off).");
            }

            iterations.Add(new IterationMetrics(it.Iteration, it.Train, it.Valid));
        }

        if (d.BestIteration < 0 || d.BestIteration > Math.Max(trees.Length, iterations.Count))
        {
            throw new InvalidDataException($"Best iteration {d.BestIteration} is out of range.");
        }

        return new LambdaMartModel(trees, d.FeatureCount, names, options, iterations, d.BestIteration);
    }

    private static T Require<T>(T? value, string field)
        where T : class
        => value ?? throw new InvalidDataException($"Model file lacks '{field}'.");

    private sealed class ModelDocument
    {
        public string? Format { get; set; }
        public int FormatVersion { get; set; }
        public int FeatureCount { get; set; }
        public string[]? FeatureNames { get; set; }
        public LambdaMartOptions? Options { get; set; }
        public int BestIteration { get; set; }
        public IterationDocument?[]? Iterations { get; set; }
        public TreeDocument?[]? Trees { get; set; }
    }

    private sealed class IterationDocument
    {
        public int Iteration { get; set; }
        public double[]? Train { get; set; }
        public double[]? Valid { get; set; }
    }

    private sealed class TreeDocument
    {
        public int[]? SplitFeature { get; set; }
        public float[]? Threshold { get; set; }
        public int[]? Left { get; set; }
        public int[]? Right { get; set; }
        public double[]? SplitGain { get; set; }
        public double[]? NodeValue { get; set; }
        public double[]? LeafValue { get; set; }
        public double[]? LeafHessian { get; set; }
    }
}
