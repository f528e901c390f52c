using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Matching;

/// <summary>
/// The prior a therapist with no history gets is the population mean of the normalised overall
/// alliance, measured on the ratings; these tests derive it from the ratings (hand-worked, and on
/// the simulator that follows the science page), never from a pinned constant.
/// </summary>
public class AlliancePriorTests
{
    private static TrackRecord Track(int ratings, double mean) => new(ratings, mean, new Dictionary<Goal, (int, double)>());

    [Test]
    public void The_fallback_is_the_science_pages_wai_sr_population_total_normalised()
    {
        // The page: WAI-SR total ~49 of 12-60. Any 12 items adding up to 49, normalised as a rating is.
        int[] items = [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4];
        Assert.That(items.Sum(), Is.EqualTo(49));

        var overall = AllianceScale.FromItems(AllianceInstrument.WaiSr, items).Overall;

        Assert.That(AlliancePrior.Fallback.Mean, Is.EqualTo(overall).Within(1e-12));
        Assert.That(AlliancePrior.Fallback.Mean, Is.EqualTo((49.0 - 12) / 48).Within(1e-12));
    }

    [Test]
    public void The_prior_is_the_mean_over_every_rating_not_the_mean_of_therapists_means()
    {
        // 150 ratings averaging 0.9 and 50 averaging 0.6: (135 + 30) / 200, where the mean of means would be 0.75.
        var prior = AlliancePrior.Of([Track(150, 0.9), Track(50, 0.6), TrackRecord.None]);

        Assert.That(prior.Mean, Is.EqualTo(0.825).Within(1e-12));
        Assert.That(prior.Ratings, Is.EqualTo(200));
    }

    [Test]
    public void Too_few_ratings_give_the_fallback_and_enough_give_their_mean()
    {
        var justShort = AlliancePrior.Of([Track(AlliancePrior.MinimumRatings - 1, 0.95)]);
        var enough = AlliancePrior.Of([Track(AlliancePrior.MinimumRatings, 0.95)]);

        Assert.Multiple(() =>
        {
            Assert.That(AlliancePrior.Of([]), Is.EqualTo(AlliancePrior.Fallback));
            Assert.That(justShort, Is.EqualTo(AlliancePrior.Fallback));
            Assert.That(enough.Mean, Is.EqualTo(0.95).Within(1e-12));
        });
    }

    [Test]
    public void Shrinking_weighs_the_prior_as_ten_ratings()
    {
        var prior = new AlliancePrior(0.8, 1000);

        Assert.Multiple(() =>
        {
            Assert.That(prior.Shrink(0, 0), Is.EqualTo(0.8));
            Assert.That(prior.Shrink(10, 0.6), Is.EqualTo(0.7).Within(1e-12));
            Assert.That(prior.Shrink(990, 0.5), Is.EqualTo((495 + 8) / 1000.0).Within(1e-12));
        });
    }

    [Test]
    public void On_simulated_ratings_the_prior_is_their_mean_and_a_new_therapist_sits_in_the_middle_of_the_rated_ones()
    {
        var world = Simulator.Run(new SimulationOptions { Therapists = 120, Clients = 1_500, Seed = 99, Weeks = 26 });
        var overall = world.Ratings.Select(r => (r.TherapistId, Overall: AllianceScale.FromItems(AllianceInstrument.WaiSr, r.WaiSrItems).Overall)).ToList();
        var tracks = overall.GroupBy(r => r.TherapistId).Select(g => Track(g.Count(), g.Average(r => r.Overall))).ToList();
        Assert.That(overall, Has.Count.GreaterThan(AlliancePrior.MinimumRatings));

        var prior = AlliancePrior.Of(tracks);
        TestContext.Out.WriteLine($"prior {prior.Mean:0.0000} from {prior.Ratings} simulated ratings of {tracks.Count} therapists");

        // The measured prior is the simulator's population mean, which follows the page (WAI-SR ~49 +/- 9, 1 SD ~ 0.19 on 0-1).
        Assert.That(prior.Mean, Is.EqualTo(overall.Average(r => r.Overall)).Within(1e-12));
        Assert.That(prior.Mean, Is.EqualTo(AlliancePrior.Fallback.Mean).Within(0.04));

        // Therapist effects are centred, so a new therapist's expected alliance is the population
        // mean: about half of the rated therapists' shrunken records lie above the no-history
        // value. The old constant 0.73, below the mean, put almost every rated therapist above it.
        double AboveNewcomer(AlliancePrior p) => tracks.Count(t => p.Shrink(t.Ratings, t.MeanAlliance) > p.Mean) / (double)tracks.Count;
        Assert.That(AboveNewcomer(prior), Is.InRange(0.35, 0.65));
        Assert.That(AboveNewcomer(new AlliancePrior(0.73, 0)), Is.GreaterThan(0.8));
    }

    [Test]
    public void A_track_record_is_called_strong_against_the_population_mean_it_is_measured_with()
    {
        var client = Build.Client();
        var candidate = Build.Candidate(Build.Therapist(), track: Track(20, 0.80));
        const string Strong = "clients report a strong working alliance (20 ratings)";

        Assert.Multiple(() =>
        {
            Assert.That(Reasons.For(client, candidate, new AlliancePrior(0.70, 5000)), Does.Contain(Strong));
            Assert.That(Reasons.For(client, candidate, new AlliancePrior(0.79, 5000)), Does.Not.Contain(Strong));
        });
    }
}
