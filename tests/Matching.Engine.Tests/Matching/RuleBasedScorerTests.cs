using Matching.Engine.Domain;
using Matching.Engine.Matching;

namespace Matching.Engine.Tests.Matching;

public class RuleBasedScorerTests
{
    private static readonly RuleBasedScorer Scorer = RuleBasedScorer.Instance;

    [Test]
    public void Versions()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Scorer.Version, Is.EqualTo("rule-based/1"));
            Assert.That(Scorer.FeatureSchemaVersion, Is.EqualTo(PairFeatures.SchemaVersion));
            Assert.That(RuleBasedScorer.Weights, Has.Count.EqualTo(PairFeatures.Count));
            Assert.That(RuleBasedScorer.Weights, Has.All.GreaterThanOrEqualTo(0));
        });
    }

    [Test]
    public void An_all_neutral_row_scores_0()
    {
        var row = Enumerable.Repeat(0.5f, PairFeatures.Count).ToArray();
        var scores = new double[1];

        Scorer.Score(row, 1, scores);

        Assert.That(scores[0], Is.Zero);
    }

    [Test]
    public void Batch_scores_are_each_rows_own_sum_to_the_bit([Values(1, 3, 4, 5, 9, 100)] int rows)
    {
        // Rows are scored four at a time; each must still be its own features' sum in feature order.
        var random = new Random(rows);
        var features = Enumerable.Range(0, rows * PairFeatures.Count).Select(_ => (float)random.NextDouble()).ToArray();
        var scores = new double[rows];

        Scorer.Score(features, rows, scores);

        for (var r = 0; r < rows; r++)
        {
            double expected = 0;
            for (var f = 0; f < PairFeatures.Count; f++)
            {
                expected += RuleBasedScorer.Weights[f] * (features[(r * PairFeatures.Count) + f] - 0.5);
            }

            Assert.That(BitConverter.DoubleToInt64Bits(scores[r]), Is.EqualTo(BitConverter.DoubleToInt64Bits(expected)), $"row {r}");
        }
    }

    [Test]
    public void Contributions_sum_to_the_score([Values(1, 2, 3)] int seed)
    {
        var random = new Random(seed);
        var row = Enumerable.Range(0, PairFeatures.Count).Select(_ => (float)random.NextDouble()).ToArray();
        var scores = new double[1];
        var contributions = new double[PairFeatures.Count];

        Scorer.Score(row, 1, scores);
        Scorer.Contributions(row, contributions);

        Assert.That(contributions.Sum(), Is.EqualTo(scores[0]).Within(1e-12));
    }

    [Test]
    public void Contributions_are_weight_times_distance_from_neutral()
    {
        var row = Enumerable.Repeat(0.5f, PairFeatures.Count).ToArray();
        row[PairFeatures.Index.ModalityFit] = 1f;
        row[PairFeatures.Index.FirstLanguage] = 0f;
        var contributions = new double[PairFeatures.Count];

        Scorer.Contributions(row, contributions);

        var expected = new double[PairFeatures.Count];
        expected[PairFeatures.Index.ModalityFit] = 0.30 * 0.5;
        expected[PairFeatures.Index.FirstLanguage] = 0.25 * -0.5;
        Assert.That(contributions, Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Scores_every_row()
    {
        var n = PairFeatures.Count;
        var rows = Enumerable.Repeat(0.5f, 3 * n).ToArray();
        rows[n + PairFeatures.Index.GoalFirst] = 1f; // row 1: first goal met
        rows[(2 * n) + PairFeatures.Index.GoalFirst] = 0f; // row 2: first goal missed
        var scores = new double[3];

        Scorer.Score(rows, 3, scores);

        Assert.That(scores, Is.EqualTo(new[] { 0.0, 0.1, -0.1 }).Within(1e-12));
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(50)]
    public void ScoreCandidates_by_default_scores_and_keeps_every_row(int keep)
    {
        IRankingModel scorer = Scorer;
        var random = new Random(keep);
        const int rows = 20;
        var features = Enumerable.Range(0, rows * PairFeatures.Count).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = new double[rows];
        Scorer.Score(features, rows, expected);
        var scores = new double[rows];
        var survivors = new int[rows + 5];

        var m = scorer.ScoreCandidates(features, rows, keep, scores, survivors);

        Assert.That(m, Is.EqualTo(rows));
        Assert.That(survivors[..m], Is.EqualTo(Enumerable.Range(0, rows)));
        Assert.That(scores, Is.EqualTo(expected));
    }

    [Test]
    public void ScoreCandidates_by_default_rejects_wrong_arguments()
    {
        IRankingModel scorer = Scorer;
        var n = PairFeatures.Count;
        Assert.Multiple(() =>
        {
            Assert.That(() => scorer.ScoreCandidates(new float[n * 4], -1, 1, new double[4], new int[4]), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => scorer.ScoreCandidates(new float[n * 4], 4, 0, new double[4], new int[4]), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => scorer.ScoreCandidates(new float[(n * 4) + 1], 4, 1, new double[4], new int[4]), Throws.ArgumentException);
            Assert.That(() => scorer.ScoreCandidates(new float[n * 4], 4, 1, new double[3], new int[4]), Throws.ArgumentException);
            Assert.That(() => scorer.ScoreCandidates(new float[n * 4], 4, 1, new double[4], new int[3]), Throws.ArgumentException);
        });
    }

    // Half the summed weights of each group: a group's maximum contribution.
    [TestCase(FeatureGroup.Goals, 0.15)]
    [TestCase(FeatureGroup.Tasks, 0.175)]
    [TestCase(FeatureGroup.Bond, 0.55)]
    [TestCase(FeatureGroup.TrackRecord, 0.075)]
    [TestCase(FeatureGroup.Logistics, 0.035)]
    public void Contribution_scale_is_the_largest_contribution_of_the_group(FeatureGroup group, double expected)
    {
        Assert.That(Scorer.ContributionScale(group), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void A_therapist_meeting_a_strong_modality_preference_outranks_one_who_does_not()
    {
        var client = Build.Client() with { Modalities = [new ModalityPreference(Modality.Emdr, PreferenceStrength.Strong)] };
        // Identical but for the modality; the id tie-break would favour "t-a", so only the score can put "t-b" first.
        var withoutEmdr = Build.Therapist("t-a") with { Modalities = [Modality.Cbt] };
        var withEmdr = Build.Therapist("t-b") with { Modalities = [Modality.Cbt, Modality.Emdr] };
        var rows = Build.Features(client, withoutEmdr).Concat(Build.Features(client, withEmdr)).ToArray();
        var scores = new double[2];

        Scorer.Score(rows, 2, scores);

        Assert.That(scores[1], Is.GreaterThan(scores[0]));
        Assert.That(scores[1] - scores[0], Is.EqualTo(0.30).Within(1e-6), "modality_fit goes from 0 to 1 at weight 0.30");
    }
}
