using Matching.Engine.Domain;
using Matching.Engine.Matching;

namespace Matching.Engine.Tests.Matching;

public class MatcherTests
{
    private static MatchOutcome Rank(ClientPreferences client, IEnumerable<Candidate> pool, int limit = 10) =>
        Matcher.Rank(client, pool.ToList(), RuleBasedScorer.Instance, limit);

    private static MatchOutcome Rank(ClientPreferences client, params TherapistProfile[] pool) =>
        Rank(client, pool.Select(p => Build.Candidate(p)));

    private static IEnumerable<string> Ids(MatchOutcome outcome) => outcome.Ranked.Select(r => r.Therapist.Id);

    [Test]
    public void Hard_constraints_are_honoured_and_exclusions_counted_against_the_first_failed()
    {
        var client = Build.Client().With(c => c with { MaxFee = 200m, Availability = Availability.WeekdayEvening });
        Candidate[] pool =
        [
            Build.Candidate(Build.Therapist("t-ok-1")),
            Build.Candidate(Build.Therapist("t-closed") with { AcceptingNewClients = false }),
            Build.Candidate(Build.Therapist("t-full"), capacityLeft: 0),
            Build.Candidate(Build.Therapist("t-nj") with { LicensedRegions = ["us-nj"] }),
            Build.Candidate(Build.Therapist("t-buffalo") with { OffersVideo = false, InPersonCities = ["buffalo"] }),
            Build.Candidate(Build.Therapist("t-fr") with { Languages = ["fr"] }),
            Build.Candidate(Build.Therapist("t-kids") with { AgeGroups = AgeGroups.Children }),
            Build.Candidate(Build.Therapist("t-pricey") with { Fee = 300m }),
            Build.Candidate(Build.Therapist("t-days") with { Availability = Availability.WeekdayDaytime }),
            Build.Candidate(Build.Therapist("t-ok-2")),
            // Fails region and fee: counted once, against region.
            Build.Candidate(Build.Therapist("t-nj-pricey") with { LicensedRegions = ["us-nj"], Fee = 300m }),
        ];

        var outcome = Rank(client, pool);

        Assert.Multiple(() =>
        {
            Assert.That(Ids(outcome), Is.EquivalentTo(new[] { "t-ok-1", "t-ok-2" }));
            Assert.That(outcome.Considered, Is.EqualTo(11));
            Assert.That(outcome.Eligible, Is.EqualTo(2));
            Assert.That(outcome.ExcludedBy, Is.EqualTo(new Dictionary<Constraint, int>
            {
                [Constraint.Accepting] = 2,
                [Constraint.Region] = 2,
                [Constraint.Format] = 1,
                [Constraint.Language] = 1,
                [Constraint.AgeGroup] = 1,
                [Constraint.Insurance] = 0,
                [Constraint.Fee] = 1,
                [Constraint.Availability] = 1,
            }));
            Assert.That(outcome.ExcludedBy.Values.Sum() + outcome.Eligible, Is.EqualTo(outcome.Considered));
        });
    }

    [Test]
    public void An_empty_pool_gives_an_empty_shortlist()
    {
        var outcome = Rank(Build.Client());

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Ranked, Is.Empty);
            Assert.That(outcome.Considered, Is.Zero);
            Assert.That(outcome.ExcludedBy.Values, Has.All.Zero);
            Assert.That(outcome.ModelVersion, Is.EqualTo(RuleBasedScorer.VersionName));
        });
    }

    [Test]
    public void Preferences_are_honoured_in_the_ranking()
    {
        var client = Build.Client(Goal.Trauma, Goal.Sleep) with
        {
            Modalities = [new ModalityPreference(Modality.Emdr, PreferenceStrength.Strong)],
            Style = new StylePreference(Directiveness: 0.2, Structure: null, Challenge: null),
        };
        // Ids run against the expected order, so the id tie-break cannot produce it.
        var allThree = Build.Therapist("t-d") with { Specialties = [Goal.Trauma, Goal.Sleep], Modalities = [Modality.Emdr], Style = new(0.2, 0.5, 0.5) };
        var goalAndModality = Build.Therapist("t-c") with { Specialties = [Goal.Trauma], Modalities = [Modality.Emdr], Style = new(0.8, 0.5, 0.5) };
        var secondGoalAndStyle = Build.Therapist("t-b") with { Specialties = [Goal.Sleep], Modalities = [Modality.Cbt], Style = new(0.2, 0.5, 0.5) };
        var none = Build.Therapist("t-a") with { Specialties = [Goal.Anxiety], Modalities = [Modality.Cbt], Style = new(0.9, 0.5, 0.5) };

        var outcome = Rank(client, secondGoalAndStyle, none, allThree, goalAndModality);

        Assert.Multiple(() =>
        {
            Assert.That(Ids(outcome), Is.EqualTo(new[] { "t-d", "t-c", "t-b", "t-a" }));
            Assert.That(outcome.Ranked.Select(r => r.Position), Is.EqualTo(new[] { 1, 2, 3, 4 }));
            Assert.That(outcome.Ranked.Select(r => r.Score), Is.Ordered.Descending);
        });
    }

    [TestCase(0, 0)]
    [TestCase(1, 1)]
    [TestCase(3, 3)]
    [TestCase(5, 5)]
    [TestCase(50, 5)]
    public void The_shortlist_is_cut_at_the_limit(int limit, int expected)
    {
        var pool = Enumerable.Range(1, 5).Select(i => Build.Candidate(Build.Therapist($"t-{i}")));

        var outcome = Rank(Build.Client(), pool, limit);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Ranked, Has.Count.EqualTo(expected));
            Assert.That(outcome.Ranked.Select(r => r.Position), Is.EqualTo(Enumerable.Range(1, expected)));
            Assert.That(outcome.Eligible, Is.EqualTo(5));
        });
    }

    [Test]
    public void Ties_are_broken_by_id_whatever_the_pool_order([Values] bool reversed)
    {
        string[] ids = ["t-c", "t-a", "t-10", "t-b", "t-1"];
        var pool = ids.Select(id => Build.Therapist(id));
        if (reversed)
        {
            pool = pool.Reverse();
        }

        var outcome = Rank(Build.Client(), pool.ToArray());

        Assert.Multiple(() =>
        {
            Assert.That(Ids(outcome), Is.EqualTo(new[] { "t-1", "t-10", "t-a", "t-b", "t-c" }));
            Assert.That(outcome.Ranked.Select(r => r.Score).Distinct(), Has.Exactly(1).Items);
        });
    }

    [Test]
    public void Ranked_therapists_carry_the_features_the_model_scored()
    {
        var client = Build.Client(Goal.Anxiety, Goal.Panic);
        var candidates = new[]
        {
            Build.Candidate(Build.Therapist("t-1") with { Specialties = [Goal.Panic] }, capacityLeft: 1),
            Build.Candidate(Build.Therapist("t-2"), track: new TrackRecord(20, 0.9, new Dictionary<Goal, (int, double)>())),
        };

        var outcome = Rank(client, candidates);

        Assert.That(outcome.Ranked, Has.Count.EqualTo(2));
        foreach (var ranked in outcome.Ranked)
        {
            var candidate = candidates.Single(c => c.Profile.Id == ranked.Therapist.Id);
            var scores = new double[1];
            RuleBasedScorer.Instance.Score(ranked.Features, 1, scores);
            Assert.Multiple(() =>
            {
                Assert.That(ranked.Features, Is.EqualTo(Build.Features(client, candidate)));
                Assert.That(ranked.Score, Is.EqualTo(scores[0]));
            });
        }
    }

    [Test]
    public void A_pillar_the_client_stated_nothing_about_is_neutral()
    {
        // The client states no modality and no structure: the tasks pillar has no signal.
        var ranked = Rank(Build.Client(), Build.Therapist()).Ranked.Single();

        Assert.Multiple(() =>
        {
            Assert.That(ranked.Fit.Tasks, Is.EqualTo(0.5));
            // First goal and all goals covered: both goal features at their maximum.
            Assert.That(ranked.Fit.Goals, Is.EqualTo(1.0));
            // Only first_language (weight 0.25) is off neutral: 0.5 + 0.5 × 0.125 / 0.55, rounded to 3 places.
            Assert.That(ranked.Fit.Bond, Is.EqualTo(0.614));
        });
    }

    [Test]
    public void Fit_lies_in_the_unit_interval()
    {
        var client = Build.Client(Goal.Trauma, Goal.Anxiety, Goal.Sleep) with
        {
            Modalities = [new ModalityPreference(Modality.Emdr, PreferenceStrength.Strong), new ModalityPreference(Modality.Act, PreferenceStrength.Moderate)],
            Style = new StylePreference(0.0, 1.0, 0.0),
            Languages = ["es", "en"],
            Culture = new CulturalPreference(["latin-american"], Importance.High),
            Gender = new GenderPreference([Gender.Woman], Importance.High),
            Faith = new FaithPreference("catholic", Importance.High),
            Identity = new IdentityPreference(["lgbtq"], Importance.High),
        };
        var best = Build.Therapist("t-best") with
        {
            Specialties = [Goal.Trauma, Goal.Anxiety, Goal.Sleep], Modalities = [Modality.Emdr, Modality.Act], Style = new(0.0, 1.0, 0.0),
            Languages = ["es", "en"], CulturalCompetencies = ["latin-american"], LivedExperience = ["lgbtq"], FaithTradition = "catholic",
        };
        var worst = Build.Therapist("t-worst") with
        {
            Specialties = [Goal.Grief], Modalities = [Modality.Narrative], Style = new(1.0, 0.0, 1.0), Gender = Gender.Man,
        };

        var outcome = Rank(client, best, worst);
        var fits = outcome.Ranked.SelectMany(r => new[] { r.Fit.Goals, r.Fit.Tasks, r.Fit.Bond }).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(Ids(outcome), Is.EqualTo(new[] { "t-best", "t-worst" }));
            Assert.That(fits, Has.All.InRange(0.0, 1.0));
            Assert.That(outcome.Ranked[0].Fit, Has.Property(nameof(FitExplanation.Goals)).EqualTo(1.0).And.Property(nameof(FitExplanation.Tasks)).EqualTo(1.0));
            Assert.That(outcome.Ranked[1].Fit, Has.Property(nameof(FitExplanation.Goals)).EqualTo(0.0).And.Property(nameof(FitExplanation.Tasks)).EqualTo(0.0));
        });
    }

    [Test]
    public void Reasons_name_the_first_goal_and_the_preferred_modality_in_plain_words()
    {
        var client = Build.Client(Goal.WorkStress, Goal.Sleep) with { Modalities = [new ModalityPreference(Modality.Emdr, PreferenceStrength.Strong)] };
        var fits = Build.Therapist("t-fits") with { Specialties = [Goal.WorkStress, Goal.Sleep], Modalities = [Modality.Emdr] };
        var misses = Build.Therapist("t-misses") with { Specialties = [Goal.Anxiety], Modalities = [Modality.Cbt] };

        var outcome = Rank(client, fits, misses);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Ranked[0].Fit.Reasons, Is.EqualTo(new[]
            {
                "specialises in your first goal: work stress",
                "also works with sleep",
                "offers EMDR, which you preferred strongly",
            }));
            Assert.That(outcome.Ranked[1].Fit.Reasons, Is.EqualTo(new[]
            {
                "does not list your first goal (work stress) as a specialty",
                "does not offer EMDR, which you preferred strongly",
            }));
        });
    }

    [Test]
    public void No_reason_mentions_culture_when_the_client_did_not_ask([Values] bool backgroundListedWithImportanceNone)
    {
        var client = Build.Client() with
        {
            Culture = backgroundListedWithImportanceNone ? new CulturalPreference(["somali"], Importance.None) : null,
        };
        var therapist = Build.Therapist() with { CulturalCompetencies = ["somali"], LivedExperience = ["somali", "immigrant"] };

        var reasons = Rank(client, therapist).Ranked.Single().Fit.Reasons;

        Assert.That(reasons, Has.None.Contains("background").And.None.Contains("somali").And.None.Contains("immigrant"));
    }

    [TestCase(Importance.Low, true, "lists experience with your background (somali)")]
    [TestCase(Importance.High, false, "does not list experience with your background")]
    public void Reasons_mention_culture_when_the_client_asked(Importance importance, bool shared, string reason)
    {
        var client = Build.Client() with { Culture = new CulturalPreference(["somali"], importance) };
        var therapist = Build.Therapist() with { CulturalCompetencies = shared ? ["somali"] : ["punjabi"] };

        var reasons = Rank(client, therapist).Ranked.Single().Fit.Reasons;

        Assert.That(reasons, Has.Member(reason));
    }

    [Test]
    public void A_non_English_first_language_shared_is_a_reason()
    {
        var client = Build.Client() with { Languages = ["es", "en"] };

        var reasons = Rank(client, Build.Therapist() with { Languages = ["en", "es"] }).Ranked.Single().Fit.Reasons;

        Assert.That(reasons, Has.Member("works in your first language (es)"));
    }

    [Test]
    public void At_most_five_reasons_positive_first()
    {
        var client = Build.Client(Goal.Trauma, Goal.Sleep) with
        {
            Modalities = [new ModalityPreference(Modality.Emdr, PreferenceStrength.Strong), new ModalityPreference(Modality.Act, PreferenceStrength.Strong)],
            Style = new StylePreference(0.0, 0.0, 0.0),
            Languages = ["es"],
            Gender = new GenderPreference([Gender.Man], Importance.High),
        };
        var therapist = Build.Therapist() with
        {
            Specialties = [Goal.Trauma, Goal.Sleep], Modalities = [Modality.Emdr], Style = new(0.0, 0.0, 0.0), Languages = ["es"],
        };

        var reasons = Rank(client, therapist).Ranked.Single().Fit.Reasons;

        Assert.That(reasons, Has.Count.EqualTo(5));
        Assert.That(reasons[0], Is.EqualTo("specialises in your first goal: trauma"));
        Assert.That(reasons, Has.None.StartsWith("does not").And.None.StartsWith("is not"));
    }
}
