using System.Text;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Simulation;

[TestFixture]
public sealed class SimulationTruthTests
{
    [Test]
    public void A_truth_file_round_trips_to_identical_true_alliance()
    {
        var result = Simulator.Run(new SimulationOptions { Therapists = 150, Clients = 2_000, Seed = 5 });
        using var stream = new MemoryStream();
        SimulationTruth.Write(stream, result.Truth);
        var bytes = stream.Length;
        stream.Position = 0;
        var read = SimulationTruth.Read(stream);
        TestContext.Out.WriteLine($"truth file for 150 therapists and 2,000 clients: {bytes / 1024.0:F0} KiB");

        var rng = new SimulationRandom(1);
        for (var k = 0; k < 2_000; k++)
        {
            var i = rng.NextInt(result.Truth.ClientCount);
            var j = rng.NextInt(result.Truth.TherapistCount);
            Assert.That(read.TrueAlliance(i, j), Is.EqualTo(result.Truth.TrueAlliance(i, j)));
            Assert.That(read.Rankable(i, j), Is.EqualTo(result.Truth.Rankable(i, j)));
        }

        var client = result.Clients[17];
        var therapist = result.Therapists[42];
        Assert.That(read.TrueAlliance(client, therapist), Is.EqualTo(result.Truth.TrueAlliance(17, 42)));
        Assert.That(read.Moments, Is.EqualTo(result.Truth.Moments));
        Assert.That(read.Options, Is.EqualTo(result.Options));
        Assert.That(read.PolicyName, Is.EqualTo("noisy-stated-preference"));
        Assert.That(bytes / (double)result.Truth.ClientCount, Is.LessThan(400), "compact enough for 10k clients");
    }

    [Test]
    public void Something_else_is_not_read_as_a_truth_file()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("{\"version\": 99}"));
        using var garbage = new MemoryStream(Encoding.UTF8.GetBytes("not json"));

        Assert.That(() => SimulationTruth.Read(stream), Throws.InstanceOf<InvalidDataException>());
        Assert.That(() => SimulationTruth.Read(garbage), Throws.InstanceOf<InvalidDataException>());
    }
}
