using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Engine.Learning;

/// <summary>
/// A trained LambdaMART model behind the ranking seam. Its per-feature contributions (Saabas)
/// summed by pillar give the goals / tasks / bond fit, scaled by the contribution sizes measured
/// on its training data. Immutable and thread-safe.
/// </summary>
public sealed class LearnedRankingModel : IRankingModel
{
    /// <summary>Artifact format name.</summary>
    public const string ArtifactFormat = "matching.ranker";

    /// <summary>Artifact format version.</summary>
    public const int ArtifactVersion = 1;

    private readonly double[] _scales;

    /// <summary>Wraps a model; its feature names must be the current schema's.</summary>
    /// <param name="version">Version name.</param>
    /// <param name="model">The trees.</param>
    /// <param name="contributionScales">Contribution scale per group (see <see cref="MeasureScales"/>).</param>
    /// <param name="baselineWeight">
    /// Weight of the rule-based prior the trees were boosted from: the score is
    /// <c>baselineWeight × rule-based score + trees</c>. 0 when trained from scratch.
    /// </param>
    /// <exception cref="InvalidDataException">The model was trained on another feature schema.</exception>
    public LearnedRankingModel(string version, LambdaMartModel model, IReadOnlyDictionary<FeatureGroup, double> contributionScales, double baselineWeight = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(contributionScales);
        var expected = PairFeatures.Schema.Select(f => f.Name).ToList();
        if (!model.FeatureNames.SequenceEqual(expected))
        {
            throw new InvalidDataException($"The model's features ({string.Join(", ", model.FeatureNames)}) are not those of {PairFeatures.SchemaVersion}.");
        }

        if (!double.IsFinite(baselineWeight) || baselineWeight < 0)
        {
            throw new InvalidDataException($"Baseline weight {baselineWeight} is not a finite non-negative number.");
        }

        Version = version;
        Model = model;
        BaselineWeight = baselineWeight;
        _scales = Enum.GetValues<FeatureGroup>().Select(g => contributionScales.TryGetValue(g, out var s) && s > 0 && double.IsFinite(s) ? s : 1e-6).ToArray();
    }

    /// <inheritdoc />
    public string Version { get; }

    /// <inheritdoc />
    public string FeatureSchemaVersion => PairFeatures.SchemaVersion;

    /// <summary>The underlying ensemble.</summary>
    public LambdaMartModel Model { get; }

    /// <summary>Weight of the rule-based prior in the score.</summary>
    public double BaselineWeight { get; }

    /// <summary>Contribution scale per group.</summary>
    public IReadOnlyDictionary<FeatureGroup, double> ContributionScales =>
        Enum.GetValues<FeatureGroup>().ToDictionary(g => g, g => _scales[(int)g]);

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> features, int rows, Span<double> scores)
        => Score(features, rows, scores, ScoringKernel.Auto);

    /// <summary>
    /// <see cref="Score(ReadOnlySpan{float}, int, Span{double})"/> with a chosen kernel (the
    /// results are the same; benchmarks compare their speed).
    /// </summary>
    internal void Score(ReadOnlySpan<float> features, int rows, Span<double> scores, ScoringKernel kernel)
    {
        Model.Score(features, rows, scores, kernel);
        if (BaselineWeight > 0)
        {
            Span<double> prior = rows <= 256 ? stackalloc double[rows] : new double[rows];
            RuleBasedScorer.Instance.Score(features, rows, prior);
            for (var r = 0; r < rows; r++)
            {
                scores[r] += BaselineWeight * prior[r];
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Exact early exit over the trees (see <see cref="LambdaMartModel.ScoreCandidates(ReadOnlySpan{float}, int, ReadOnlySpan{double}, int, Span{double}, Span{int})"/>): the
    /// weighted rule-based prior is linear and cheap, so it is computed in full first and only
    /// the trees are bounded. The survivors are exactly the rows at or above the keep-th score.
    /// </remarks>
    public int ScoreCandidates(ReadOnlySpan<float> features, int rows, int keep, Span<double> scores, Span<int> survivors)
        => ScoreCandidates(features, rows, keep, scores, survivors, ScoringKernel.Auto);

    /// <summary>
    /// <see cref="ScoreCandidates(ReadOnlySpan{float}, int, int, Span{double}, Span{int})"/> with a
    /// chosen kernel (the results are the same; benchmarks compare their speed).
    /// </summary>
    internal int ScoreCandidates(ReadOnlySpan<float> features, int rows, int keep, Span<double> scores, Span<int> survivors, ScoringKernel kernel)
    {
        if (BaselineWeight == 0)
        {
            return Model.ScoreCandidates(features, rows, [], keep, scores, survivors, PruningSchedule.Default, [], kernel);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (features.Length != rows * PairFeatures.Count)
        {
            throw new ArgumentException($"Expected {rows * PairFeatures.Count} values, got {features.Length}.", nameof(features));
        }

        var buffer = ArrayPool<double>.Shared.Rent(rows);
        try
        {
            // Weighted here exactly as Score weights it, so trees + offset is Score's own last addition.
            var offsets = buffer.AsSpan(0, rows);
            RuleBasedScorer.Instance.Score(features, rows, offsets);
            for (var r = 0; r < rows; r++)
            {
                offsets[r] = BaselineWeight * offsets[r];
            }

            return Model.ScoreCandidates(features, rows, offsets, keep, scores, survivors, PruningSchedule.Default, [], kernel);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public void Contributions(ReadOnlySpan<float> row, Span<double> contributions)
    {
        Span<double> all = stackalloc double[Model.FeatureCount + 1];
        Model.Contributions(row, all);
        all[..PairFeatures.Count].CopyTo(contributions);
        if (BaselineWeight > 0)
        {
            Span<double> prior = stackalloc double[PairFeatures.Count];
            RuleBasedScorer.Instance.Contributions(row, prior);
            for (var f = 0; f < PairFeatures.Count; f++)
            {
                contributions[f] += BaselineWeight * prior[f];
            }
        }
    }

    /// <inheritdoc />
    public double ContributionScale(FeatureGroup group) => _scales[(int)group];

    /// <summary>
    /// The 90th percentile of each group's absolute summed contribution over the rows: a fit of
    /// 1 (or 0) then means a pillar pulls as hard as in the strongest tenth of training pairs.
    /// </summary>
    public static IReadOnlyDictionary<FeatureGroup, double> MeasureScales(IRankingModel model, RankingDataset data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var groups = Enum.GetValues<FeatureGroup>();
        var sums = groups.ToDictionary(g => g, _ => new List<double>(data.Rows));
        var contributions = new double[PairFeatures.Count];
        var step = Math.Max(1, data.Rows / 5000);
        for (var r = 0; r < data.Rows; r += step)
        {
            model.Contributions(data.Row(r), contributions);
            var byGroup = new double[groups.Length];
            for (var f = 0; f < PairFeatures.Count; f++)
            {
                byGroup[(int)PairFeatures.Schema[f].Group] += contributions[f];
            }

            foreach (var g in groups)
            {
                sums[g].Add(Math.Abs(byGroup[(int)g]));
            }
        }

        return sums.ToDictionary(kv => kv.Key, kv =>
        {
            var sorted = kv.Value.Order().ToList();
            return sorted.Count == 0 ? 1e-6 : Math.Max(1e-6, sorted[(int)(0.9 * (sorted.Count - 1))]);
        });
    }

    /// <summary>Writes the artifact: version, schema, scales and the ensemble, as JSON.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        Model.Save(buffer);
        var document = new JsonObject
        {
            ["format"] = ArtifactFormat,
            ["formatVersion"] = ArtifactVersion,
            ["version"] = Version,
            ["featureSchema"] = FeatureSchemaVersion,
            ["baselineWeight"] = BaselineWeight,
            ["contributionScales"] = new JsonObject(Enum.GetValues<FeatureGroup>().Select(g => KeyValuePair.Create(g.ToString(), (JsonNode?)_scales[(int)g]))),
            ["model"] = JsonNode.Parse(buffer.ToArray()),
        };
        using var writer = new Utf8JsonWriter(stream);
        document.WriteTo(writer);
    }

    /// <summary>The artifact as a string, for the model registry.</summary>
    public string ToArtifact()
    {
        using var stream = new MemoryStream();
        Save(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads an artifact. A truncated, corrupt or incompatible artifact throws and yields nothing.</summary>
    /// <exception cref="InvalidDataException">What is wrong with it.</exception>
    public static LearnedRankingModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Ranker artifact is not valid JSON: {e.Message}", e);
        }

        if (root is not JsonObject o || Text(o["format"]) != ArtifactFormat)
        {
            throw new InvalidDataException($"Not a {ArtifactFormat} artifact.");
        }

        if (Integer(o["formatVersion"]) != ArtifactVersion)
        {
            throw new InvalidDataException($"Ranker artifact format version {o["formatVersion"]} is not supported (expected {ArtifactVersion}).");
        }

        if (Text(o["featureSchema"]) != PairFeatures.SchemaVersion)
        {
            throw new InvalidDataException($"Ranker artifact uses feature schema {o["featureSchema"]}; this build serves {PairFeatures.SchemaVersion}.");
        }

        var version = Text(o["version"]) ?? throw new InvalidDataException("Ranker artifact has no version.");
        var scales = new Dictionary<FeatureGroup, double>();
        var scaleNodes = o["contributionScales"] as JsonObject;
        foreach (var g in Enum.GetValues<FeatureGroup>())
        {
            scales[g] = Number(scaleNodes?[g.ToString()]) ?? throw new InvalidDataException($"Ranker artifact has no contribution scale for {g}.");
        }

        if (o["model"] is not JsonObject model)
        {
            throw new InvalidDataException("Ranker artifact has no model.");
        }

        var baselineWeight = o["baselineWeight"] is null ? 0 : Number(o["baselineWeight"]) ?? throw new InvalidDataException("Ranker artifact's baselineWeight is not a number.");
        using var inner = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(model.ToJsonString()));
        return new LearnedRankingModel(version, LambdaMartModel.Load(inner), scales, baselineWeight);
    }

    // A field of the wrong JSON type reads as missing, so it is reported as what is wrong with the
    // artifact instead of escaping as the InvalidOperationException of JsonNode's explicit casts.
    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static int? Integer(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;

    private static double? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    /// <summary>
    /// Reads an artifact and checks it before it may serve: it scores a set of probe rows (every
    /// feature at 0, 0.5 and 1, and random rows) to finite values, and its contributions add up
    /// to its scores. An artifact read from the registry must name itself as the version it is
    /// stored under, so no replica serves a model under another model's name.
    /// </summary>
    /// <param name="artifact">The artifact.</param>
    /// <param name="storedAs">The version the registry holds it under.</param>
    /// <exception cref="InvalidDataException">The artifact cannot be read or fails a check.</exception>
    public static LearnedRankingModel LoadValidated(string artifact, string storedAs)
    {
        var model = FromArtifact(artifact);
        if (model.Version != storedAs)
        {
            throw new InvalidDataException($"The artifact stored as {storedAs} names itself {model.Version}.");
        }

        var n = PairFeatures.Count;
        var probes = new List<float[]>();
        foreach (var v in new[] { 0f, 0.5f, 1f })
        {
            probes.Add(Enumerable.Repeat(v, n).ToArray());
        }

        var random = new Random(12345);
        for (var i = 0; i < 32; i++)
        {
            probes.Add(Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray());
        }

        var contributions = new double[PairFeatures.Count];
        var trees = new double[model.Model.FeatureCount + 1];
        var scores = new double[1];
        foreach (var row in probes)
        {
            model.Score(row, 1, scores);
            model.Contributions(row, contributions);
            model.Model.Contributions(row, trees);
            var explained = contributions.Sum() + trees[^1];
            if (!double.IsFinite(scores[0]) || Math.Abs(explained - scores[0]) > 1e-6 * Math.Max(1, Math.Abs(scores[0])))
            {
                throw new InvalidDataException($"Model {model.Version} fails validation: a probe row scores {scores[0]} but its contributions explain {explained}.");
            }
        }

        return model;
    }

    /// <summary>Reads an artifact from its string form.</summary>
    public static LearnedRankingModel FromArtifact(string artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(artifact));
        return Load(stream);
    }
}
