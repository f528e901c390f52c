using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Simulation;

/// <summary>The logging policies' propensities: the probability of each item at its position given those above.</summary>
public sealed class ShortlistPolicyPropensityTests
{
    private static readonly SimulationResult World = Simulator.Run(new SimulationOptions { Therapists = 60, Clients = 300, Seed = 17, Weeks = 6 });

    // One client's eligible therapists in the small world, the most we can find.
    private static ShortlistRequest RequestFor(int seed)
    {
        var (client, eligible) = World.Clients
            .Select(c => (c, World.Therapists.Where(t => HardConstraintFilter.FirstFailed(c, t, t.WeeklyNewClientCapacity) is null).ToList()))
            .MaxBy(x => x.Item2.Count);
        return new ShortlistRequest(client, eligible, 5, DateTimeOffset.UnixEpoch, false, SimulationRandom.For(seed, 0xBEEF, 1));
    }

    [Test]
    public void The_uniform_policys_propensities_are_one_over_the_therapists_not_yet_placed()
    {
        var request = RequestFor(1);
        var shown = ShortlistPolicy.UniformRandom.Select(request);

        var m = request.Eligible.Count;
        Assert.That(m, Is.GreaterThan(5), "the client has more eligible therapists than places");
        Assert.That(ShortlistPolicy.UniformRandom.Propensities(request, shown), Is.EqualTo(Enumerable.Range(0, 5).Select(p => 1.0 / (m - p))).Within(1e-12));
    }

    [Test]
    public void The_plackett_luce_first_position_propensity_is_the_frequency_of_that_therapist_at_the_top()
    {
        // Position 1's propensity given nothing above is its marginal: compare it with 20,000 draws.
        var policy = ShortlistPolicy.NoisyStatedPreference();
        var first = RequestFor(0);
        var tops = new Dictionary<string, int>(StringComparer.Ordinal);
        const int draws = 20_000;
        for (var d = 0; d < draws; d++)
        {
            var id = policy.Select(first with { Random = SimulationRandom.For(d, 0xBEEF, 1) })[0].Id;
            tops[id] = tops.GetValueOrDefault(id) + 1;
        }

        foreach (var t in first.Eligible)
        {
            var p = policy.Propensities(first, [t, .. first.Eligible.Where(o => o.Id != t.Id).Take(4)])![0];
            var sd = Math.Sqrt(p * (1 - p) / draws);
            Assert.That(tops.GetValueOrDefault(t.Id) / (double)draws, Is.EqualTo(p).Within((4 * sd) + 1e-4), t.Id);
        }
    }

    [Test]
    public void Plackett_luce_propensities_are_probabilities_and_the_remaining_ones_sum_to_one_at_each_position()
    {
        var policy = ShortlistPolicy.NoisyStatedPreference();
        var request = RequestFor(3);
        var shown = policy.Select(request);
        var p = policy.Propensities(request, shown)!;

        Assert.That(p, Has.Length.EqualTo(shown.Count).And.All.InRange(double.Epsilon, 1.0));

        // At position 2, the propensities of every therapist not placed first sum to 1.
        var second = request.Eligible.Where(t => t.Id != shown[0].Id)
            .Sum(t => policy.Propensities(request, [shown[0], t])![1]);
        Assert.That(second, Is.EqualTo(1).Within(1e-9));
    }

    [Test]
    public void The_simulated_history_logs_a_propensity_for_every_shown_item()
    {
        var items = World.Shortlists.SelectMany(s => s.Items).ToList();
        Assert.That(items.Select(i => i.Propensity), Is.All.Not.Null.And.All.InRange(double.Epsilon, 1.0));
        Assert.That(World.Shortlists.Where(s => s.Items.Count == 1).SelectMany(s => s.Items).Select(i => i.Propensity), Has.None.GreaterThan(1.0));
    }
}
