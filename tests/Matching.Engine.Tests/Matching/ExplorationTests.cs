using Matching.Engine.Domain;
using Matching.Engine.Matching;

namespace Matching.Engine.Tests.Matching;

public class ExplorationTests
{
    private const int Limit = 5;

    // Twelve established therapists with a strong record and eight new ones, all eligible; one new
    // therapist is full and one is licensed elsewhere, so neither may ever be drawn.
    private static readonly Candidate[] Pool =
    [
        .. Enumerable.Range(0, 12).Select(i => Build.Candidate(Build.Therapist($"t-est-{i:00}"), track: new TrackRecord(40 + i, 0.8, new Dictionary<Goal, (int, double)>()))),
        .. Enumerable.Range(0, 8).Select(i => Build.Candidate(Build.Therapist($"t-new-{i}"))),
        Build.Candidate(Build.Therapist("t-new-full"), capacityLeft: 0),
        Build.Candidate(Build.Therapist("t-new-nj") with { LicensedRegions = ["us-nj"] }),
    ];

    private static readonly TherapistDirectory Directory = TherapistDirectory.Create(Pool, default);

    private static MatchOutcome Rank(Exploration exploration, Random? random) =>
        Matcher.Rank(Build.Client(), Directory, RuleBasedScorer.Instance, Limit, exploration, random);

    private static IReadOnlyList<string> Deterministic() =>
        Matcher.Rank(Build.Client(), Directory, RuleBasedScorer.Instance, Limit).Ranked.Select(r => r.Therapist.Id).ToList();

    private static int UnderObservedOutside(IReadOnlyList<string> list) =>
        Pool.Count(c => c.Track.Ratings < Exploration.DefaultUnderObservedRatings && c.CapacityLeft > 0 && c.Profile.LicensedRegions.Contains("us-ny") && !list.Contains(c.Profile.Id));

    [Test]
    public void The_pool_is_set_up_so_that_the_deterministic_list_leaves_new_therapists_out()
    {
        var list = Deterministic();
        Assert.That(list, Has.Count.EqualTo(Limit));
        Assert.That(UnderObservedOutside(list), Is.GreaterThan(0));
    }

    [Test]
    public void With_share_one_the_last_slot_is_always_an_eligible_under_observed_therapist_not_otherwise_listed()
    {
        var deterministic = Deterministic();
        var random = new Random(12);
        var drawn = new HashSet<string>();
        for (var k = 0; k < 400; k++)
        {
            var ranked = Rank(new Exploration(1), random).Ranked;
            var last = ranked[^1];
            drawn.Add(last.Therapist.Id);
            Assert.Multiple(() =>
            {
                Assert.That(ranked.Take(Limit - 1).Select(r => r.Therapist.Id), Is.EqualTo(deterministic.Take(Limit - 1)));
                Assert.That(last.Explored, Is.True);
                Assert.That(last.Position, Is.EqualTo(Limit));
                Assert.That(last.Therapist.Id, Does.StartWith("t-new-").And.Not.EqualTo("t-new-full").And.Not.EqualTo("t-new-nj"));
                Assert.That(deterministic, Does.Not.Contain(last.Therapist.Id));
            });
        }

        // Every candidate is reachable: 400 uniform draws over a handful miss one with negligible probability.
        Assert.That(drawn, Has.Count.EqualTo(UnderObservedOutside(deterministic)));
    }

    [Test]
    public void With_share_zero_the_ranking_is_exactly_the_deterministic_one()
    {
        var plain = Matcher.Rank(Build.Client(), Directory, RuleBasedScorer.Instance, Limit).Ranked;
        var off = Rank(new Exploration(0), new Random(1)).Ranked;
        Assert.That(off.Select(r => (r.Therapist.Id, r.Position, r.Score, r.Propensity, r.Explored)),
            Is.EqualTo(plain.Select(r => (r.Therapist.Id, r.Position, r.Score, 1.0, false))));
    }

    [Test]
    public void Propensities_are_one_above_the_last_slot_one_minus_share_for_the_kept_item_and_share_over_n_for_an_explored_one()
    {
        const double share = 0.3;
        var deterministic = Deterministic();
        var n = UnderObservedOutside(deterministic);
        var random = new Random(5);
        var seen = new HashSet<bool>();
        for (var k = 0; k < 200; k++)
        {
            var ranked = Rank(new Exploration(share), random).Ranked;
            seen.Add(ranked[^1].Explored);
            Assert.Multiple(() =>
            {
                Assert.That(ranked.Take(Limit - 1).Select(r => r.Propensity), Is.All.EqualTo(1.0));
                Assert.That(ranked[^1].Propensity, Is.EqualTo(ranked[^1].Explored ? share / n : 1 - share).Within(1e-12));
                Assert.That(ranked[^1].Therapist.Id == deterministic[^1], Is.EqualTo(!ranked[^1].Explored));
            });
        }

        Assert.That(seen, Is.EquivalentTo(new[] { true, false }));
    }

    [Test]
    public void With_no_under_observed_therapist_outside_the_list_nothing_is_drawn_and_the_last_propensity_is_one()
    {
        var established = TherapistDirectory.Create(Pool.Take(12).ToList(), default);
        var ranked = Matcher.Rank(Build.Client(), established, RuleBasedScorer.Instance, Limit, new Exploration(0.5), new Random(3)).Ranked;
        Assert.That(ranked.Select(r => r.Propensity), Is.All.EqualTo(1.0));
        Assert.That(ranked.Select(r => r.Explored), Is.All.False);
    }

    [Test]
    public void The_explored_share_over_many_matches_is_within_a_binomial_bound_of_the_share()
    {
        const double share = 0.05;
        const int matches = 6000;
        var random = new Random(2024);
        var explored = 0;
        for (var k = 0; k < matches; k++)
        {
            explored += Rank(new Exploration(share), random).Ranked[^1].Explored ? 1 : 0;
        }

        // Four standard deviations of a binomial(6000, 0.05): about 68 ± 4 · 16.9.
        var sd = Math.Sqrt(matches * share * (1 - share));
        Assert.That(explored, Is.InRange(matches * share - (4 * sd), matches * share + (4 * sd)));
    }

    [TestCase(-0.01, 10, false)]
    [TestCase(0.51, 10, false)]
    [TestCase(0.5, 0, false)]
    [TestCase(0.05, 10, true)]
    [TestCase(0, 1, true)]
    public void Settings_are_validated(double share, int threshold, bool valid) =>
        Assert.That(new Exploration(share, threshold).IsValid, Is.EqualTo(valid));
}
