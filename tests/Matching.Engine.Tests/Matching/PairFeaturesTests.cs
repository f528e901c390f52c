using Matching.Engine.Domain;
using Matching.Engine.Matching;
using static Matching.Engine.Matching.PairFeatures.Index;

namespace Matching.Engine.Tests.Matching;

public class PairFeaturesTests
{
    private const double Tolerance = 1e-6;

    [Test]
    public void Schema_is_versioned_and_indexed_by_name()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PairFeatures.SchemaVersion, Is.EqualTo("pair-features/1"));
            Assert.That(PairFeatures.Count, Is.EqualTo(16));
            Assert.That(PairFeatures.Schema.Select(f => f.Name), Is.Unique);
            Assert.That(PairFeatures.Schema[GoalFirst].Name, Is.EqualTo("goal_first"));
            Assert.That(PairFeatures.Schema[ModalityFit].Name, Is.EqualTo("modality_fit"));
            Assert.That(PairFeatures.Schema[CulturalMatch].Name, Is.EqualTo("cultural_match"));
            Assert.That(PairFeatures.Schema[TrackGoalAlliance].Name, Is.EqualTo("track_goal_alliance"));
            Assert.That(PairFeatures.Schema[CapacityLeft].Name, Is.EqualTo("capacity_left"));
        });
    }

    [Test]
    public void Preferences_the_client_did_not_state_are_neutral()
    {
        var row = Build.Features(Build.Client(), Build.Therapist());

        Assert.Multiple(() =>
        {
            foreach (var f in new[] { ModalityFit, StructureFit, DirectivenessFit, ChallengeFit, CulturalMatch, GenderMatch, FaithMatch, IdentityMatch, FeeFit })
            {
                Assert.That(row[f], Is.EqualTo(0.5f), PairFeatures.Schema[f].Name);
            }
        });
    }

    [Test]
    public void Baseline_pair_by_hand()
    {
        var row = Build.Features(Build.Client(Goal.Anxiety), Build.Therapist());

        Assert.That(row, Is.EqualTo(new float[]
        {
            1f, 1f, // first goal and all goals covered
            0.5f, 0.5f, 0.5f, 0.5f, // no modality or style stated
            1f, // first language shared
            0.5f, 0.5f, 0.5f, 0.5f, // no culture, gender, faith or identity stated
            (float)AlliancePrior.Fallback.Mean, 0f, (float)AlliancePrior.Fallback.Mean, // no history: the prior (here the fallback), no volume, the prior
            0.5f, // self-pay without a maximum fee
            1f, // full capacity left
        }).Within(Tolerance));
    }

    [TestCase(new[] { Goal.Anxiety }, 1f)]
    [TestCase(new[] { Goal.Sleep, Goal.Anxiety }, 1f)]
    [TestCase(new[] { Goal.Sleep }, 0f)]
    public void Goal_first_is_whether_the_therapist_specialises_in_the_first_goal(Goal[] specialties, float expected)
    {
        var row = Build.Features(Build.Client(Goal.Anxiety, Goal.Sleep), Build.Therapist() with { Specialties = specialties });

        Assert.That(row[GoalFirst], Is.EqualTo(expected));
    }

    // Goals Depression, Sleep, Grief weigh 1, 1/2, 1/3: total 11/6.
    [TestCase(new[] { Goal.Depression }, 6.0 / 11)]
    [TestCase(new[] { Goal.Sleep }, 3.0 / 11)]
    [TestCase(new[] { Goal.Grief }, 2.0 / 11)]
    [TestCase(new[] { Goal.Depression, Goal.Grief }, 8.0 / 11)]
    [TestCase(new[] { Goal.Sleep, Goal.Grief }, 5.0 / 11)]
    [TestCase(new[] { Goal.Grief, Goal.Sleep, Goal.Depression }, 1.0)]
    [TestCase(new[] { Goal.Anxiety }, 0.0)]
    public void Goal_coverage_weighs_goals_1_half_third_by_the_client_order(Goal[] specialties, double expected)
    {
        Goal[] goals = [Goal.Depression, Goal.Sleep, Goal.Grief];

        Assert.Multiple(() =>
        {
            Assert.That(PairFeatures.GoalCoverage(goals, specialties), Is.EqualTo(expected).Within(1e-12));
            Assert.That(Build.Features(Build.Client(goals), Build.Therapist() with { Specialties = specialties })[GoalCoverage], Is.EqualTo(expected).Within(Tolerance));
        });
    }

    [Test]
    public void Goal_coverage_without_goals_is_0()
    {
        Assert.That(PairFeatures.GoalCoverage([], [Goal.Anxiety]), Is.Zero);
    }

    [TestCase(PreferenceStrength.Strong, true, 1.0)]
    [TestCase(PreferenceStrength.Strong, false, 0.0)]
    [TestCase(PreferenceStrength.Moderate, true, 5.0 / 6)] // 0.5 + 0.5 × 1 × 2/3
    [TestCase(PreferenceStrength.Moderate, false, 1.0 / 6)]
    [TestCase(PreferenceStrength.Slight, true, 2.0 / 3)] // 0.5 + 0.5 × 1 × 1/3
    [TestCase(PreferenceStrength.Slight, false, 1.0 / 3)]
    public void Modality_fit_of_one_preference_is_stretched_by_its_strength(PreferenceStrength strength, bool offered, double expected)
    {
        ModalityPreference[] preferences = [new(Modality.Emdr, strength)];
        Modality[] modalities = offered ? [Modality.Cbt, Modality.Emdr] : [Modality.Cbt];

        Assert.That(PairFeatures.ModalityFit(preferences, modalities), Is.EqualTo(expected).Within(1e-12));
    }

    // Strong EMDR (weight 1) and slight ACT (weight 1/3): total 4/3, stretched by the strongest (1).
    [TestCase(true, true, 1.0)]
    [TestCase(true, false, 0.75)] // met 1: 0.5 + 0.5 × (2 × 1 / (4/3) - 1)
    [TestCase(false, true, 0.25)] // met 1/3: 0.5 + 0.5 × (2 × (1/3) / (4/3) - 1)
    [TestCase(false, false, 0.0)]
    public void Modality_fit_weighs_preferences_by_strength(bool emdr, bool act, double expected)
    {
        ModalityPreference[] preferences = [new(Modality.Emdr, PreferenceStrength.Strong), new(Modality.Act, PreferenceStrength.Slight)];
        var offered = new List<Modality> { Modality.Cbt };
        if (emdr)
        {
            offered.Add(Modality.Emdr);
        }

        if (act)
        {
            offered.Add(Modality.Act);
        }

        var client = Build.Client() with { Modalities = preferences };

        Assert.Multiple(() =>
        {
            Assert.That(PairFeatures.ModalityFit(preferences, offered), Is.EqualTo(expected).Within(1e-12));
            Assert.That(Build.Features(client, Build.Therapist() with { Modalities = offered })[ModalityFit], Is.EqualTo(expected).Within(Tolerance));
        });
    }

    [Test]
    public void Modality_fit_without_preferences_is_neutral()
    {
        Assert.That(PairFeatures.ModalityFit([], [Modality.Cbt]), Is.EqualTo(0.5));
    }

    [TestCase(null, 0.9, 0.5)]
    [TestCase(0.3, 0.3, 1.0)]
    [TestCase(0.2, 0.7, 0.5)]
    [TestCase(1.0, 0.0, 0.0)]
    [TestCase(0.0, 0.25, 0.75)]
    public void Axis_fit_is_1_minus_the_distance(double? preferred, double actual, double expected)
    {
        Assert.That(PairFeatures.AxisFit(preferred, actual), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Each_style_axis_is_compared_with_its_own_target()
    {
        var client = Build.Client() with { Style = new StylePreference(Directiveness: 0.0, Structure: 1.0, Challenge: null) };
        var therapist = Build.Therapist() with { Style = new CommunicationStyle(Directiveness: 0.25, Structure: 0.5, Challenge: 1.0) };

        var row = Build.Features(client, therapist);

        Assert.Multiple(() =>
        {
            Assert.That(row[DirectivenessFit], Is.EqualTo(0.75f));
            Assert.That(row[StructureFit], Is.EqualTo(0.5f));
            Assert.That(row[ChallengeFit], Is.EqualTo(0.5f), "no challenge target stated");
        });
    }

    [TestCase(new[] { "es", "en" }, new[] { "en" }, 0f)]
    [TestCase(new[] { "es", "en" }, new[] { "en", "es" }, 1f)]
    public void First_language_is_whether_the_therapist_works_in_the_client_first_language(string[] client, string[] therapist, float expected)
    {
        var row = Build.Features(Build.Client() with { Languages = client }, Build.Therapist() with { Languages = therapist });

        Assert.That(row[FirstLanguage], Is.EqualTo(expected));
    }

    /// <summary>
    /// Cultural background is used only as the client states it and only when the client says it
    /// matters: with importance None the feature is neutral whatever either side lists.
    /// </summary>
    [Test]
    public void Cultural_match_is_ignored_entirely_when_importance_is_None(
        [Values(true, false)] bool therapistListsIt,
        [Values(true, false)] bool asLivedExperience)
    {
        var client = Build.Client() with { Culture = new CulturalPreference(["somali"], Importance.None) };
        string[] tags = therapistListsIt ? ["somali"] : ["punjabi"];
        var therapist = asLivedExperience
            ? Build.Therapist() with { LivedExperience = tags }
            : Build.Therapist() with { CulturalCompetencies = tags };

        Assert.That(Build.Features(client, therapist)[CulturalMatch], Is.EqualTo(0.5f));
    }

    [Test]
    public void Cultural_match_is_neutral_when_the_client_states_no_background()
    {
        var therapist = Build.Therapist() with { CulturalCompetencies = ["somali", "punjabi"], LivedExperience = ["immigrant"] };

        Assert.That(Build.Features(Build.Client(), therapist)[CulturalMatch], Is.EqualTo(0.5f));
    }

    // 0.5 ± 0.5 × importance weight (Low 1/3, Medium 2/3, High 1).
    [TestCase(Importance.Low, true, 2.0 / 3)]
    [TestCase(Importance.Low, false, 1.0 / 3)]
    [TestCase(Importance.Medium, true, 5.0 / 6)]
    [TestCase(Importance.Medium, false, 1.0 / 6)]
    [TestCase(Importance.High, true, 1.0)]
    [TestCase(Importance.High, false, 0.0)]
    public void Cultural_match_is_weighted_by_importance(Importance importance, bool shared, double expected)
    {
        var client = Build.Client() with { Culture = new CulturalPreference(["somali", "muslim"], importance) };
        var therapist = Build.Therapist() with { CulturalCompetencies = shared ? ["muslim"] : ["punjabi"] };

        Assert.That(Build.Features(client, therapist)[CulturalMatch], Is.EqualTo(expected).Within(Tolerance));
    }

    [Test]
    public void Cultural_match_counts_lived_experience()
    {
        var client = Build.Client() with { Culture = new CulturalPreference(["somali"], Importance.High) };

        Assert.That(Build.Features(client, Build.Therapist() with { LivedExperience = ["somali"] })[CulturalMatch], Is.EqualTo(1f));
    }

    [Test]
    public void Cultural_match_only_looks_in_the_direction_the_client_asks()
    {
        // The therapist lists backgrounds the client did not state: that is no match, never a bonus.
        var client = Build.Client() with { Culture = new CulturalPreference(["somali"], Importance.High) };
        var therapist = Build.Therapist() with { CulturalCompetencies = ["punjabi", "somali-american"], LivedExperience = ["Somali"] };

        Assert.That(Build.Features(client, therapist)[CulturalMatch], Is.EqualTo(0f));
    }

    [TestCase(Importance.None, true, 0.5)]
    [TestCase(Importance.None, false, 0.5)]
    [TestCase(Importance.High, true, 1.0)]
    [TestCase(Importance.Medium, false, 1.0 / 6)]
    public void Gender_match_is_weighted_by_importance(Importance importance, bool match, double expected)
    {
        var client = Build.Client() with { Gender = new GenderPreference([Gender.Woman, Gender.NonBinary], importance) };
        var therapist = Build.Therapist() with { Gender = match ? Gender.NonBinary : Gender.Man };

        Assert.That(Build.Features(client, therapist)[GenderMatch], Is.EqualTo(expected).Within(Tolerance));
    }

    [TestCase("jewish", 1.0)]
    [TestCase("Jewish", 0.0)]
    [TestCase(null, 0.0)]
    public void Faith_match_compares_the_tradition_ordinally(string? tradition, double expected)
    {
        var client = Build.Client() with { Faith = new FaithPreference("jewish", Importance.High) };

        Assert.That(Build.Features(client, Build.Therapist() with { FaithTradition = tradition })[FaithMatch], Is.EqualTo(expected).Within(Tolerance));
    }

    [TestCase(Importance.Low, true, 2.0 / 3)]
    [TestCase(Importance.High, false, 0.0)]
    [TestCase(Importance.None, true, 0.5)]
    public void Identity_match_looks_in_competencies_and_lived_experience(Importance importance, bool shared, double expected)
    {
        var client = Build.Client() with { Identity = new IdentityPreference(["lgbtq"], importance) };
        var therapist = Build.Therapist() with { LivedExperience = shared ? ["lgbtq"] : [] };

        Assert.That(Build.Features(client, therapist)[IdentityMatch], Is.EqualTo(expected).Within(Tolerance));
    }

    private static readonly AlliancePrior Measured = new(0.8, 500);

    [Test]
    public void No_history_gets_the_prior_it_is_computed_with()
    {
        var candidate = Build.Candidate(Build.Therapist(), track: TrackRecord.None);
        var withFallback = Build.Features(Build.Client(), candidate, AlliancePrior.Fallback);
        var withMeasured = Build.Features(Build.Client(), candidate, Measured);

        Assert.Multiple(() =>
        {
            Assert.That(withFallback[TrackAlliance], Is.EqualTo((float)AlliancePrior.Fallback.Mean));
            Assert.That(withFallback[TrackGoalAlliance], Is.EqualTo((float)AlliancePrior.Fallback.Mean));
            Assert.That(withMeasured[TrackAlliance], Is.EqualTo(0.8f));
            Assert.That(withMeasured[TrackGoalAlliance], Is.EqualTo(0.8f));
            Assert.That(withMeasured[TrackVolume], Is.Zero);
        });
    }

    // Shrunken mean (n × mean + 10 × 0.8) / (n + 10) with a measured prior of 0.8; volume ln(1 + n) / ln(101), capped at 1.
    [TestCase(10, 0.93, 0.865)]
    [TestCase(90, 0.5, 0.53)]
    [TestCase(1, 0.0, 8.0 / 11)]
    [TestCase(1000, 0.9, (900 + 8.0) / 1010)]
    public void Track_record_is_shrunk_towards_the_prior(int ratings, double mean, double expected)
    {
        var track = new TrackRecord(ratings, mean, new Dictionary<Goal, (int, double)>());

        var row = Build.Features(Build.Client(), Build.Candidate(Build.Therapist(), track: track), Measured);

        Assert.Multiple(() =>
        {
            Assert.That(row[TrackAlliance], Is.EqualTo(expected).Within(Tolerance));
            Assert.That(row[TrackVolume], Is.EqualTo(Math.Min(1.0, Math.Log(1 + ratings) / Math.Log(101))).Within(Tolerance));
        });
    }

    [TestCase(100, 1.0)]
    [TestCase(10, 0.519574)] // ln 11 / ln 101
    public void Track_volume_reaches_1_at_100_ratings(int ratings, double expected)
    {
        var track = new TrackRecord(ratings, 0.8, new Dictionary<Goal, (int, double)>());

        Assert.That(Build.Features(Build.Client(), Build.Candidate(Build.Therapist(), track: track))[TrackVolume], Is.EqualTo(expected).Within(Tolerance));
    }

    [TestCase(Goal.Anxiety, (27 + 8.0) / 40)] // 30 ratings at 0.9 in the client's first goal, shrunk towards the measured 0.8
    [TestCase(Goal.Grief, 0.8)] // no ratings in the client's first goal: the prior
    public void Goal_track_record_uses_the_client_first_goal(Goal firstGoal, double expected)
    {
        var byGoal = new Dictionary<Goal, (int, double)> { [Goal.Anxiety] = (30, 0.9), [Goal.Sleep] = (5, 0.1) };
        var track = new TrackRecord(35, 0.79, byGoal);

        var row = Build.Features(Build.Client(firstGoal, Goal.Sleep), Build.Candidate(Build.Therapist(), track: track), Measured);

        Assert.That(row[TrackGoalAlliance], Is.EqualTo(expected).Within(Tolerance));
    }

    [TestCase(null, null, 150, 0.5)] // self-pay, no maximum
    [TestCase(null, 200, 150, 0.25)]
    [TestCase(null, 200, 0, 1.0)]
    [TestCase(null, 200, 200, 0.0)]
    [TestCase(null, 200, 300, 0.0)]
    [TestCase(null, 0, 150, 0.5)]
    [TestCase("aetna", 200, 150, 1.0)] // insured: the fee is not the client's concern
    [TestCase("aetna", null, 900, 1.0)]
    public void Fee_fit(string? insurance, int? maxFee, int fee, double expected)
    {
        var client = Build.Client().With(c => c with { Insurance = insurance, MaxFee = maxFee });

        Assert.That(Build.Features(client, Build.Therapist() with { Fee = fee })[FeeFit], Is.EqualTo(expected).Within(Tolerance));
    }

    [TestCase(4, 4, 1.0)]
    [TestCase(4, 1, 0.25)]
    [TestCase(4, 0, 0.0)]
    [TestCase(4, 6, 1.0)]
    [TestCase(0, 2, 0.0)]
    public void Capacity_left_is_the_share_of_weekly_capacity(int weekly, int left, double expected)
    {
        var candidate = Build.Candidate(Build.Therapist() with { WeeklyNewClientCapacity = weekly }, capacityLeft: left);

        Assert.That(Build.Features(Build.Client(), candidate)[CapacityLeft], Is.EqualTo(expected).Within(Tolerance));
    }

    [Test]
    public void Every_feature_lies_in_the_unit_interval()
    {
        var random = new Random(1234);
        var goals = Enum.GetValues<Goal>();
        var modalities = Enum.GetValues<Modality>();
        T[] Some<T>(T[] all, int max) => all.OrderBy(_ => random.Next()).Take(random.Next(0, max + 1)).ToArray();
        double? Target() => random.Next(3) == 0 ? null : random.NextDouble();
        var importance = Enum.GetValues<Importance>();
        var row = new float[PairFeatures.Count];

        Assert.Multiple(() =>
        {
            for (var i = 0; i < 300; i++)
            {
                var client = Build.Client(Some(goals, 5).DefaultIfEmpty(Goal.Anxiety).ToArray()) with
                {
                    Modalities = Some(modalities, 3).Select(m => new ModalityPreference(m, (PreferenceStrength)random.Next(1, 4))).ToArray(),
                    Style = new StylePreference(Target(), Target(), Target()),
                    Culture = new CulturalPreference(["somali"], importance[random.Next(4)]),
                    Gender = new GenderPreference([Gender.Man], importance[random.Next(4)]),
                };
                client = client.With(c => c with { MaxFee = random.Next(3) == 0 ? null : random.Next(0, 300) });
                var therapist = Build.Therapist() with
                {
                    Specialties = Some(goals, 4),
                    Modalities = Some(modalities, 4),
                    Style = new CommunicationStyle(random.NextDouble(), random.NextDouble(), random.NextDouble()),
                    CulturalCompetencies = random.Next(2) == 0 ? ["somali"] : [],
                    Fee = random.Next(0, 400),
                    WeeklyNewClientCapacity = random.Next(0, 6),
                };
                var ratings = random.Next(0, 500);
                var track = new TrackRecord(ratings, random.NextDouble(), new Dictionary<Goal, (int, double)> { [client.Goals[0]] = (ratings / 2, random.NextDouble()) });
                PairFeatures.Compute(client, new Candidate(therapist, random.Next(-1, 8), track), new AlliancePrior(random.NextDouble(), 500), row);

                Assert.That(row, Has.All.InRange(0f, 1f), $"pair {i}");
            }
        });
    }

    [Test]
    public void Compute_needs_room_for_every_feature()
    {
        var tooShort = new float[PairFeatures.Count - 1];

        Assert.That(() => PairFeatures.Compute(Build.Client(), Build.Candidate(Build.Therapist()), AlliancePrior.Fallback, tooShort), Throws.ArgumentException);
    }
}
