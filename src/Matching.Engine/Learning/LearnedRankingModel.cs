using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Engine.Learning;

/// <summary>Who trained a model: the trainer's name and the library and version that fitted it.</summary>
/// <param name="Trainer">Trainer name, e.g. <c>lambdamart</c> or <c>mlnet-lightgbm</c>.</param>
/// <param name="Library">Library and version, e.g. <c>Microsoft.ML.LightGbm 5.0.1</c>.</param>
public sealed record ModelProvenance(string Trainer, string Library)
{
    /// <summary>The engine's own LambdaMART (what artifacts without provenance were trained by).</summary>
    public static ModelProvenance Engine { get; } = new("lambdamart", "Matching.Engine " + typeof(LearnedRankingModel).Assembly.GetName().Version?.ToString(3));
}

/// <summary>
/// Scores the library that trained a model gave to a set of probe rows (served features, before
/// any derived column). A model exported to this engine must reproduce them to
/// <see cref="LearnedRankingModel.ReferenceTolerance"/> or it is not served.
/// </summary>
/// <param name="Rows">Probe rows, <see cref="PairFeatures.Count"/> values each (synthetic, never a client's).</param>
/// <param name="Scores">The training library's score of each row.</param>
public sealed record ReferenceScores(IReadOnlyList<float[]> Rows, IReadOnlyList<double> Scores);

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

    /// <summary>Name of the derived feature column that holds the rule-based prior, when the trees take it as an input.</summary>
    public const string PriorFeatureName = "rule_based_prior";

    /// <summary>How far an exported model's score may be from its training library's on a probe row.</summary>
    public const double ReferenceTolerance = 1e-5;

    private readonly double[] _scales;
    private readonly int _inputs;

    /// <summary>Wraps a model; its feature names must be the current schema's.</summary>
    /// <param name="version">Version name.</param>
    /// <param name="model">The trees.</param>
    /// <param name="contributionScales">Contribution scale per group (see <see cref="MeasureScales"/>).</param>
    /// <param name="baselineWeight">
    /// Weight of the rule-based prior the trees were boosted from: the score is
    /// <c>baselineWeight × rule-based score + trees</c>. 0 when trained from scratch.
    /// </param>
    /// <param name="priorFeature">
    /// Whether the trees take the rule-based prior as one more input column after the schema's
    /// (<see cref="PriorFeatureName"/>): how a trainer without per-row init scores (ML.NET) uses it.
    /// </param>
    /// <param name="provenance">Trainer and library; the engine's LambdaMART when null.</param>
    /// <param name="reference">The training library's scores on probe rows, when another library trained the trees.</param>
    /// <exception cref="InvalidDataException">The model was trained on another feature schema.</exception>
    public LearnedRankingModel(string version, LambdaMartModel model, IReadOnlyDictionary<FeatureGroup, double> contributionScales, double baselineWeight = 0,
        bool priorFeature = false, ModelProvenance? provenance = null, ReferenceScores? reference = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(contributionScales);
        var expected = PairFeatures.Schema.Select(f => f.Name).ToList();
        if (priorFeature)
        {
            expected.Add(PriorFeatureName);
        }

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
        PriorFeature = priorFeature;
        Provenance = provenance ?? ModelProvenance.Engine;
        Reference = reference;
        _inputs = expected.Count;
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

    /// <summary>Whether the trees take the rule-based prior as an input column.</summary>
    public bool PriorFeature { get; }

    /// <summary>Trainer and library that fitted the trees.</summary>
    public ModelProvenance Provenance { get; }

    /// <summary>The training library's scores on probe rows, or null for the engine's own models.</summary>
    public ReferenceScores? Reference { get; }

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
        if (PriorFeature)
        {
            var buffer = WithPrior(features, rows);
            try
            {
                Model.Score(buffer.AsSpan(0, rows * _inputs), rows, scores, kernel);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }
        else
        {
            Model.Score(features, rows, scores, kernel);
        }

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
        if (PriorFeature)
        {
            if (features.Length != rows * PairFeatures.Count)
            {
                throw new ArgumentException($"Expected {rows * PairFeatures.Count} values, got {features.Length}.", nameof(features));
            }

            var buffer = WithPrior(features, rows);
            try
            {
                return ScoreTreesAndOffset(buffer.AsSpan(0, rows * _inputs), features, rows, keep, scores, survivors, kernel);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }

        return ScoreTreesAndOffset(features, features, rows, keep, scores, survivors, kernel);
    }

    private int ScoreTreesAndOffset(ReadOnlySpan<float> treeInputs, ReadOnlySpan<float> features, int rows, int keep, Span<double> scores, Span<int> survivors, ScoringKernel kernel)
    {
        if (BaselineWeight == 0)
        {
            return Model.ScoreCandidates(treeInputs, rows, [], keep, scores, survivors, PruningSchedule.Default, [], kernel);
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

            return Model.ScoreCandidates(treeInputs, rows, offsets, keep, scores, survivors, PruningSchedule.Default, [], kernel);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// With the prior as an input column, the trees' exact contribution of that column is shared
    /// among the schema's features in proportion to the size of each one's term in the prior,
    /// so the contributions still add up to the score.
    /// </remarks>
    public void Contributions(ReadOnlySpan<float> row, Span<double> contributions)
    {
        Span<double> all = stackalloc double[Model.FeatureCount + 1];
        if (PriorFeature)
        {
            Span<float> input = stackalloc float[_inputs];
            row.CopyTo(input);
            input[^1] = PriorValue(row);
            Model.Contributions(input, all);
            all[..PairFeatures.Count].CopyTo(contributions);
            Span<double> terms = stackalloc double[PairFeatures.Count];
            RuleBasedScorer.Instance.Contributions(row, terms);
            double size = 0;
            foreach (var t in terms)
            {
                size += Math.Abs(t);
            }

            var share = all[PairFeatures.Count];
            for (var f = 0; f < PairFeatures.Count; f++)
            {
                contributions[f] += size > 0 ? share * Math.Abs(terms[f]) / size : share / PairFeatures.Count;
            }
        }
        else
        {
            Model.Contributions(row, all);
            all[..PairFeatures.Count].CopyTo(contributions);
        }

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
    /// The rule-based prior of a row as the trees read it: computed in double, rounded to float,
    /// the same function whether the row is being trained on or served.
    /// </summary>
    public static float PriorValue(ReadOnlySpan<float> row)
    {
        Span<double> score = [0];
        RuleBasedScorer.Instance.Score(row, 1, score);
        return (float)score[0];
    }

    /// <summary>Rows with the rule-based prior appended as one more column (see <see cref="PriorValue"/>).</summary>
    /// <param name="features">Rows of <see cref="PairFeatures.Count"/> values, row-major.</param>
    /// <param name="rows">Number of rows.</param>
    /// <returns>Rows of <see cref="PairFeatures.Count"/> + 1 values.</returns>
    public static float[] AppendPrior(ReadOnlySpan<float> features, int rows)
    {
        var n = PairFeatures.Count;
        var result = new float[rows * (n + 1)];
        Fill(features, rows, result);
        return result;
    }

    private float[] WithPrior(ReadOnlySpan<float> features, int rows)
    {
        var buffer = ArrayPool<float>.Shared.Rent(rows * _inputs);
        Fill(features, rows, buffer);
        return buffer;
    }

    private static void Fill(ReadOnlySpan<float> features, int rows, Span<float> target)
    {
        var n = PairFeatures.Count;
        var prior = rows <= 256 ? stackalloc double[rows] : new double[rows];
        RuleBasedScorer.Instance.Score(features, rows, prior);
        for (var r = 0; r < rows; r++)
        {
            features.Slice(r * n, n).CopyTo(target.Slice(r * (n + 1), n));
            target[(r * (n + 1)) + n] = (float)prior[r];
        }
    }

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
            ["priorFeature"] = PriorFeature,
            ["trainer"] = Provenance.Trainer,
            ["library"] = Provenance.Library,
            ["contributionScales"] = new JsonObject(Enum.GetValues<FeatureGroup>().Select(g => KeyValuePair.Create(g.ToString(), (JsonNode?)_scales[(int)g]))),
            ["model"] = JsonNode.Parse(buffer.ToArray()),
        };
        if (Reference is not null)
        {
            document["reference"] = new JsonObject
            {
                ["rows"] = new JsonArray([.. Reference.Rows.Select(r => (JsonNode?)new JsonArray([.. r.Select(v => (JsonNode?)v)]))]),
                ["scores"] = new JsonArray([.. Reference.Scores.Select(v => (JsonNode?)v)]),
            };
        }

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
        var priorFeature = o["priorFeature"] is JsonValue pf && pf.TryGetValue<bool>(out var b) && b;
        var provenance = o["trainer"] is null ? ModelProvenance.Engine
            : new ModelProvenance(Text(o["trainer"]) ?? throw new InvalidDataException("Ranker artifact's trainer is not text."), Text(o["library"]) ?? "");
        var reference = o["reference"] is null ? null : ReadReference(o["reference"]);
        using var inner = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(model.ToJsonString()));
        return new LearnedRankingModel(version, LambdaMartModel.Load(inner), scales, baselineWeight, priorFeature, provenance, reference);
    }

    private static ReferenceScores ReadReference(JsonNode? node)
    {
        if (node is not JsonObject r || r["rows"] is not JsonArray rows || r["scores"] is not JsonArray scores || rows.Count != scores.Count)
        {
            throw new InvalidDataException("Ranker artifact's reference scores are malformed (rows and scores must be arrays of one length).");
        }

        var parsedRows = new List<float[]>(rows.Count);
        foreach (var row in rows)
        {
            if (row is not JsonArray values || values.Count != PairFeatures.Count)
            {
                throw new InvalidDataException($"A reference row must hold {PairFeatures.Count} numbers.");
            }

            parsedRows.Add([.. values.Select(v => v is JsonValue x && x.TryGetValue<float>(out var f) ? f : throw new InvalidDataException("A reference row holds a value that is not a number."))]);
        }

        return new ReferenceScores(parsedRows, [.. scores.Select(v => Number(v) ?? throw new InvalidDataException("A reference score is not a number."))]);
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

        if (model.Reference is { } reference)
        {
            var score = new double[1];
            for (var i = 0; i < reference.Rows.Count; i++)
            {
                model.Score(reference.Rows[i], 1, score);
                if (!(Math.Abs(score[0] - reference.Scores[i]) <= ReferenceTolerance))
                {
                    throw new InvalidDataException($"Model {model.Version} does not reproduce {model.Provenance.Library}'s scores: probe row {i} scores {score[0]:R} here and {reference.Scores[i]:R} there (tolerance {ReferenceTolerance}).");
                }
            }
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
            model.Model.Contributions(model.PriorFeature ? AppendPrior(row, 1) : row, trees);
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
