using Matching.Engine.Domain;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Simulation;

/// <summary>
/// The simulated history must reproduce the science page's figures. One medium run is shared by
/// every test; each prints what it measured.
/// </summary>
[TestFixture]
public sealed class SimulatorStatisticsTests
{
    private SimulationResult _result = null!;

    [OneTimeSetUp]
    public void RunMediumWorld() =>
        _result = Simulator.Run(new SimulationOptions { Therapists = 300, Clients = 4_000, Seed = 12345 });

    [Test]
    public void WaiSr_totals_have_the_published_mean_spread_and_ceiling()
    {
        var totals = _result.Ratings.Select(r => (double)r.Total).ToArray();
        var (mean, sd) = MeanSd(totals);
        var ceiling = totals.Count(t => t == 60) / (double)totals.Length;
        TestContext.Out.WriteLine($"ratings {totals.Length}: WAI-SR total mean {mean:F2}, SD {sd:F2}, at ceiling {ceiling:P1}");

        Assert.That(mean, Is.EqualTo(49).Within(2));
        Assert.That(sd, Is.EqualTo(9).Within(2));
        Assert.That(ceiling, Is.InRange(0.05, 0.18));
    }

    [Test]
    public void About_a_fifth_drop_out_and_half_of_them_before_the_rating()
    {
        var matches = _result.Choices.Count;
        var dropouts = _result.Outcomes.Where(o => o.Kind == OutcomeKind.Dropout).ToList();
        var rate = dropouts.Count / (double)matches;
        var early = dropouts.Count(o => o.SessionNumber < 3) / (double)dropouts.Count;
        TestContext.Out.WriteLine($"matches {matches}: dropout {rate:P1}, of which before session 3 {early:P1}");

        Assert.That(rate, Is.InRange(0.15, 0.25));
        Assert.That(early, Is.InRange(0.35, 0.65));
    }

    [Test]
    public void Early_dropouts_are_rematched_at_the_configured_rate()
    {
        var rematchShortlists = _result.Shortlists.Where(s => s.IsRematch).Select(s => s.ShortlistId).ToHashSet();
        var firstEarly = _result.Outcomes.Count(o => o.Kind == OutcomeKind.Dropout && o.SessionNumber < 3 && !rematchShortlists.Contains(o.ShortlistId));
        var rematches = _result.Outcomes.Count(o => o.Kind == OutcomeKind.Rematch);
        var rate = rematches / (double)firstEarly;
        TestContext.Out.WriteLine($"early dropouts of first matches {firstEarly}, rematch requests {rematches} ({rate:P1}), rematch shortlists {rematchShortlists.Count}");

        Assert.That(rate, Is.EqualTo(_result.Options.RematchProbability).Within(0.08));
    }

    [Test]
    public void Therapists_hold_five_to_ten_percent_of_alliance_variance()
    {
        var truth = _result.Truth;
        var rng = new SimulationRandom(7);
        var effects = new double[50_000];
        for (var k = 0; k < effects.Length; k++)
        {
            effects[k] = truth.TherapistEffect(rng.NextInt(truth.ClientCount), rng.NextInt(truth.TherapistCount));
        }

        var share = MeanSd(effects).Sd * MeanSd(effects).Sd / truth.Moments.AllianceVariance;
        TestContext.Out.WriteLine($"alliance variance {truth.Moments.AllianceVariance:F3}; therapist share {share:P1}; reliability of one rating {truth.Moments.AllianceVariance / (truth.Moments.AllianceVariance + 0.30):F2}");
        TestContext.Out.WriteLine($"observed-rating ANOVA estimate of the therapist share: {ObservedTherapistShare():P1}");

        Assert.That(share, Is.InRange(0.05, 0.10));
        Assert.That(truth.Moments.AllianceVariance, Is.EqualTo(1.0).Within(0.1));
    }

    [Test]
    public void Best_achievable_predictor_correlates_about_068_within_client()
    {
        var truth = _result.Truth;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < 500; i++)
        {
            var x = new double[truth.TherapistCount];
            var y = new double[truth.TherapistCount];
            for (var j = 0; j < x.Length; j++)
            {
                x[j] = truth.Rankable(i, j);
                y[j] = truth.TrueAlliance(i, j);
            }

            var mx = x.Average();
            var my = y.Average();
            for (var j = 0; j < x.Length; j++)
            {
                sxy += (x[j] - mx) * (y[j] - my);
                sxx += (x[j] - mx) * (x[j] - mx);
                syy += (y[j] - my) * (y[j] - my);
            }
        }

        var r = sxy / Math.Sqrt(sxx * syy);
        TestContext.Out.WriteLine($"within-client correlation of tau + fit with true alliance: {r:F3}");

        Assert.That(r, Is.InRange(0.55, 0.80));
    }

    [Test]
    public void Dropouts_had_lower_alliance_and_courses_are_routine_care_length()
    {
        var truth = _result.Truth;
        var byShortlist = _result.Outcomes.Where(o => o.Kind != OutcomeKind.Rematch).ToDictionary(o => o.ShortlistId);
        var dropped = new List<double>();
        var completed = new List<double>();
        foreach (var choice in _result.Choices)
        {
            var a = truth.TrueAlliance(choice.ClientId, choice.TherapistId);
            (byShortlist[choice.ShortlistId].Kind == OutcomeKind.Dropout ? dropped : completed).Add(a);
        }

        var (md, sdd) = MeanSd(dropped);
        var (mc, sdc) = MeanSd(completed);
        var d = (mc - md) / Math.Sqrt((sdd * sdd + sdc * sdc) / 2);
        var sessions = byShortlist.Values.Select(o => o.SessionNumber).Order().ToArray();
        var median = sessions[sessions.Length / 2];
        var d3 = _result.Diagnostics;
        TestContext.Out.WriteLine($"alliance completers vs dropouts d = {d:F2}; median sessions {median}; " +
            $"requests {d3.Requests}, without eligible {d3.RequestsWithoutEligible}, limited by capacity {d3.RequestsLimitedByCapacity}, mean eligible {d3.MeanEligible:F1}; " +
            $"no choice {1 - _result.Choices.Count / (double)_result.Shortlists.Count:P1}");

        Assert.That(d, Is.InRange(0.3, 0.9));
        Assert.That(median, Is.InRange(4, 6));
    }

    /// <summary>One-way random-effects ANOVA on the observed WAI-SR totals, therapists as groups.</summary>
    private double ObservedTherapistShare()
    {
        var groups = _result.Ratings.GroupBy(r => r.TherapistId).Select(g => g.Select(r => (double)r.Total).ToArray()).Where(g => g.Length >= 2).ToList();
        var n = groups.Sum(g => g.Length);
        var grand = groups.SelectMany(g => g).Average();
        var ssb = groups.Sum(g => g.Length * Math.Pow(g.Average() - grand, 2));
        var ssw = groups.Sum(g => g.Sum(x => Math.Pow(x - g.Average(), 2)));
        var msb = ssb / (groups.Count - 1);
        var msw = ssw / (n - groups.Count);
        var n0 = (n - groups.Sum(g => g.Length * (double)g.Length) / n) / (groups.Count - 1);
        var between = Math.Max(0, (msb - msw) / n0);
        return between / (between + msw);
    }

    private static (double Mean, double Sd) MeanSd(IReadOnlyCollection<double> values)
    {
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        return (mean, Math.Sqrt(variance));
    }
}
