using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Simulation;

[TestFixture]
public sealed class SimulationRandomTests
{
    [Test]
    public void A_seed_gives_the_same_sequence_on_every_run()
    {
        // Pinned values: a change here changes every simulated world and invalidates stored truth files.
        Assert.That(new SimulationRandom(42).NextUInt64(), Is.EqualTo(1546998764402558742UL));
        Assert.That(SimulationRandom.Hash(1, 2, 3, 4), Is.EqualTo(13392320668819584548UL));
        Assert.That(new SimulationRandom(43).NextUInt64(), Is.Not.EqualTo(1546998764402558742UL));
        Assert.That(SimulationRandom.Hash(1, 2, 4, 3), Is.Not.EqualTo(13392320668819584548UL));
    }

    [Test]
    public void Draws_have_the_right_distribution()
    {
        var rng = new SimulationRandom(1);
        var n = 200_000;
        double sum = 0, sumSq = 0, uniform = 0;
        var counts = new int[5];
        for (var k = 0; k < n; k++)
        {
            var z = rng.NextGaussian();
            sum += z;
            sumSq += z * z;
            uniform += rng.NextDouble();
            counts[rng.NextInt(5)]++;
        }

        Assert.That(sum / n, Is.EqualTo(0).Within(0.01));
        Assert.That(sumSq / n, Is.EqualTo(1).Within(0.02));
        Assert.That(uniform / n, Is.EqualTo(0.5).Within(0.005));
        Assert.That(counts, Has.All.InRange(n / 5 * 0.97, n / 5 * 1.03));
    }
}
