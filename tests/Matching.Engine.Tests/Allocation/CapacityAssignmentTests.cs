using Matching.Engine.Allocation;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Allocation;

[TestFixture]
public sealed class CapacityAssignmentTests
{
    [Test]
    public void Two_clients_wanting_one_place_the_one_with_the_worse_alternative_gets_it()
    {
        // A: T0 1.0, T1 0.9; B: T0 1.0, T1 0.2; one place each. Best: A -> T1, B -> T0 (1.9, not 1.2).
        AssignmentClient[] clients = [new([0, 1], [1.0, 0.9]), new([0, 1], [1.0, 0.2])];

        var result = CapacityAssignment.Solve([1, 1], clients);

        Assert.That(result.TherapistOf, Is.EqualTo(new[] { 1, 0 }));
        Assert.That(result.Total, Is.EqualTo(1.9).Within(1e-12));
        Assert.That(result.Load, Is.EqualTo(new[] { 1, 1 }));
    }

    [Test]
    public void A_therapist_with_room_has_price_zero_and_a_contested_one_a_positive_price()
    {
        // Three clients all prefer T0 (one place); T1 has three places.
        AssignmentClient[] clients = [new([0, 1], [1.0, 0.5]), new([0, 1], [0.9, 0.6]), new([0, 1], [0.8, 0.7])];

        var result = CapacityAssignment.Solve([1, 3], clients);

        Assert.That(result.TherapistOf, Is.EqualTo(new[] { 0, 1, 1 }));
        Assert.That(result.Prices[1], Is.Zero);

        // The place at T0 is worth at least what the runner-up would gain there (0.9 - 0.6) and at most the winner's gain (0.5).
        Assert.That(result.Prices[0], Is.InRange(0.3 - 1e-12, 0.5 + 1e-12));
    }

    [Test]
    public void A_client_whose_every_option_is_worth_less_than_none_is_left_out()
    {
        AssignmentClient[] clients = [new([0], [-0.5]), new([0], [0.4])];

        var result = CapacityAssignment.Solve([2], clients);

        Assert.That(result.TherapistOf, Is.EqualTo(new[] { -1, 0 }));
        Assert.That(result.Total, Is.EqualTo(0.4).Within(1e-12));
    }

    [Test]
    public void A_later_client_can_displace_an_earlier_one_to_no_one()
    {
        // Only one place; the first client is worth less there than the second.
        AssignmentClient[] clients = [new([0], [0.1]), new([0], [0.9])];

        var result = CapacityAssignment.Solve([1], clients);

        Assert.That(result.TherapistOf, Is.EqualTo(new[] { -1, 0 }));
        Assert.That(result.Prices[0], Is.InRange(0.1 - 1e-12, 0.9 + 1e-12));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    [TestCase(7)]
    [TestCase(8)]
    public void On_random_small_problems_the_total_is_the_brute_force_optimum_and_the_prices_are_an_optimal_dual(int seed)
    {
        var (capacity, clients) = RandomProblem(seed, clientCount: 7, therapistCount: 4);

        var result = CapacityAssignment.Solve(capacity, clients);

        Assert.That(result.Total, Is.EqualTo(BruteForce(capacity, clients, 0, new int[capacity.Length])).Within(1e-9));
        Assert.That(result.Load, Is.EqualTo(Loads(result.TherapistOf, capacity.Length)));
        for (var j = 0; j < capacity.Length; j++)
        {
            Assert.That(result.Load[j], Is.LessThanOrEqualTo(capacity[j]));
            Assert.That(result.Prices[j], Is.GreaterThanOrEqualTo(0));
            if (result.Load[j] < capacity[j])
            {
                Assert.That(result.Prices[j], Is.Zero, "a therapist with a place left has no price");
            }
        }

        // Dual certificate: with u_i the client's surplus (weight minus price of its therapist, 0 for none),
        // no option beats it, and the dual objective equals the total (strong duality).
        var dual = 0.0;
        for (var i = 0; i < clients.Length; i++)
        {
            var c = clients[i];
            var j = result.TherapistOf[i];
            var surplus = j < 0 ? 0 : c.Weights[Array.IndexOf(c.Therapists, j)] - result.Prices[j];
            Assert.That(surplus, Is.GreaterThanOrEqualTo(-1e-9));
            for (var k = 0; k < c.Therapists.Length; k++)
            {
                Assert.That(c.Weights[k] - result.Prices[c.Therapists[k]], Is.LessThanOrEqualTo(surplus + 1e-9), $"client {i} prefers therapist {c.Therapists[k]} at these prices");
            }

            dual += surplus;
        }

        dual += capacity.Select((cap, j) => cap * result.Prices[j]).Sum();
        Assert.That(dual, Is.EqualTo(result.Total).Within(1e-9));
    }

    [Test]
    public void The_optimum_does_not_depend_on_the_order_of_the_clients()
    {
        var (capacity, clients) = RandomProblem(42, clientCount: 60, therapistCount: 12);

        var forward = CapacityAssignment.Solve(capacity, clients);
        var backward = CapacityAssignment.Solve(capacity, [.. clients.Reverse()]);

        Assert.That(backward.Total, Is.EqualTo(forward.Total).Within(1e-9));
    }

    [Test]
    public void Bad_input_is_refused()
    {
        Assert.Throws<ArgumentException>(() => CapacityAssignment.Solve([1], [new([1], [0.5])]));
        Assert.Throws<ArgumentException>(() => CapacityAssignment.Solve([-1], [new([0], [0.5])]));
        Assert.Throws<ArgumentException>(() => CapacityAssignment.Solve([1], [new([0], [double.NaN])]));
        Assert.Throws<ArgumentException>(() => CapacityAssignment.Solve([1], [new([0], [0.5, 0.2])]));
    }

    private static (int[] Capacity, AssignmentClient[] Clients) RandomProblem(int seed, int clientCount, int therapistCount)
    {
        var rng = new SimulationRandom((ulong)seed);
        var capacity = Enumerable.Range(0, therapistCount).Select(_ => rng.NextInt(3)).ToArray();
        var clients = new AssignmentClient[clientCount];
        for (var i = 0; i < clientCount; i++)
        {
            var options = Enumerable.Range(0, therapistCount).Where(_ => rng.NextDouble() < 0.6).ToArray();
            clients[i] = new AssignmentClient(options, [.. options.Select(_ => Math.Round(rng.NextDouble() * 2 - 0.3, 3))]);
        }

        return (capacity, clients);
    }

    private static double BruteForce(int[] capacity, AssignmentClient[] clients, int i, int[] load)
    {
        if (i == clients.Length)
        {
            return 0;
        }

        var best = BruteForce(capacity, clients, i + 1, load);
        var c = clients[i];
        for (var k = 0; k < c.Therapists.Length; k++)
        {
            var j = c.Therapists[k];
            if (load[j] < capacity[j])
            {
                load[j]++;
                best = Math.Max(best, c.Weights[k] + BruteForce(capacity, clients, i + 1, load));
                load[j]--;
            }
        }

        return best;
    }

    private static int[] Loads(int[] therapistOf, int therapists)
    {
        var load = new int[therapists];
        foreach (var j in therapistOf.Where(j => j >= 0))
        {
            load[j]++;
        }

        return load;
    }
}
