using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Simulation;

[TestFixture]
public sealed class AllianceTruthTests
{
    private AllianceTruth _truth = null!;

    [OneTimeSetUp]
    public void BuildWorld() => _truth = Simulator.Run(new SimulationOptions { Therapists = 200, Clients = 3_000, Seed = 8, Weeks = 4 }).Truth;

    [Test]
    public void The_alliance_is_client_effect_plus_rankable_part_plus_dyad()
    {
        for (var i = 0; i < 50; i++)
        {
            for (var j = 0; j < 50; j++)
            {
                var parts = AllianceTruth.Mu + _truth.ClientEffect(i) + _truth.TherapistEffect(i, j) + _truth.Fit(i, j) + _truth.Dyad(i, j);
                Assert.That(_truth.TrueAlliance(i, j), Is.EqualTo(parts).Within(1e-12));
            }
        }
    }

    [Test]
    public void Components_have_the_science_pages_variances_and_the_fit_is_centred()
    {
        var rng = new SimulationRandom(3);
        var n = 100_000;
        double fit = 0, dyad = 0, dyadSq = 0, gammaSq = 0;
        for (var k = 0; k < n; k++)
        {
            var i = rng.NextInt(_truth.ClientCount);
            var j = rng.NextInt(_truth.TherapistCount);
            fit += _truth.Fit(i, j);
            var d = _truth.Dyad(i, j);
            dyad += d;
            dyadSq += d * d;
            gammaSq += _truth.ClientEffect(i) * _truth.ClientEffect(i);
        }

        var dyadVariance = dyadSq / n - (dyad / n) * (dyad / n);
        TestContext.Out.WriteLine($"mean fit {fit / n:F4}; dyad variance {dyadVariance:F3}; client variance {gammaSq / n:F3}; moments {_truth.Moments}");

        Assert.That(fit / n, Is.EqualTo(0).Within(0.01));
        Assert.That(dyadVariance, Is.EqualTo(AllianceTruth.DyadVariance).Within(0.01));
        Assert.That(gammaSq / n, Is.EqualTo(AllianceTruth.ClientVariance).Within(0.05));
    }

    [Test]
    public void The_dyad_term_is_a_fixed_property_of_the_pair()
    {
        var first = _truth.Dyad(5, 6);
        var again = _truth.Dyad(5, 6);

        Assert.That(again, Is.EqualTo(first));
        Assert.That(_truth.Dyad(6, 5), Is.Not.EqualTo(first));
    }

    [Test]
    public void Pairs_are_found_by_id_and_unknown_ids_are_reported()
    {
        Assert.That(_truth.TrueAlliance("c-000003", "t-00004"), Is.EqualTo(_truth.TrueAlliance(2, 3)));
        Assert.That(_truth.IndexOfClient("c-999999"), Is.EqualTo(-1));
        Assert.That(_truth.IndexOfTherapist("t-00200"), Is.EqualTo(199));
        Assert.That(() => _truth.TrueAlliance("c-000001", "t-99999"), Throws.InstanceOf<KeyNotFoundException>());
    }
}
