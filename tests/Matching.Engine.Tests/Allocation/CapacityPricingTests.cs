using Matching.Engine.Allocation;

namespace Matching.Engine.Tests.Allocation;

[TestFixture]
public sealed class CapacityPricingTests
{
    [Test]
    public void The_window_is_the_rest_of_this_week_as_it_happened_in_the_weeks_before()
    {
        var wednesdayNoon = new DateTimeOffset(2025, 1, 15, 12, 0, 0, TimeSpan.Zero);

        var window = new CapacityPricing { WindowWeeks = 2 }.Window(wednesdayNoon);

        Assert.That(window, Is.EqualTo(new[]
        {
            (new DateTimeOffset(2025, 1, 8, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 1, 13, 0, 0, 0, TimeSpan.Zero)),
            (new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 1, 6, 0, 0, 0, TimeSpan.Zero)),
        }));
    }

    [Test]
    public void A_therapist_wanted_by_more_clients_than_its_places_gets_a_price_and_one_with_room_does_not()
    {
        // Four clients in a one-week window score T0 above T1; T0 has one place left, T1 four.
        AssignmentClient[] window = [.. Enumerable.Range(0, 4).Select(i => new AssignmentClient([0, 1], [2.0 + (0.1 * i), 1.5]))];

        var prices = new CapacityPricing { WindowWeeks = 1 }.Solve([1, 4], window);

        Assert.That(prices[0], Is.GreaterThan(0));
        Assert.That(prices[1], Is.Zero);

        // With the price, only the client who gains most from T0 still ranks it first.
        var stillFirst = window.Count(c => c.Weights[0] - prices[0] > c.Weights[1] - prices[1] + 1e-12);
        Assert.That(stillFirst, Is.LessThanOrEqualTo(1));
    }

    [Test]
    public void Prices_are_in_score_units_and_do_not_move_when_every_score_is_shifted()
    {
        AssignmentClient[] window = [new([0, 1], [0.3, 0.1]), new([0, 1], [0.25, -0.2]), new([1], [0.05])];
        AssignmentClient[] shifted = [.. window.Select(c => c with { Weights = [.. c.Weights.Select(w => w + 7)] })];

        var pricing = new CapacityPricing();

        Assert.That(pricing.Solve([1, 1], shifted), Is.EqualTo(pricing.Solve([1, 1], window)).Within(1e-9));
    }

    [Test]
    public void With_no_places_left_anywhere_nothing_is_priced_above_the_score_range_plus_the_outside_option()
    {
        AssignmentClient[] window = [new([0], [1.0]), new([0], [0.4])];

        var prices = new CapacityPricing { OutsideOption = 0.5 }.Solve([0], window);

        Assert.That(prices[0], Is.InRange(0, 1.0 - 0.4 + 0.5 + 1e-9));
    }

    [Test]
    public void A_step_moves_each_price_part_of_the_way()
    {
        double[] prices = [0.0, 1.0, 0.4];

        new CapacityPricing { Step = 0.25 }.StepTowards(prices, [1.0, 0.0, 0.4]);

        Assert.That(prices, Is.EqualTo(new[] { 0.25, 0.75, 0.4 }).Within(1e-12));
    }

    [TestCase(0.0)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void A_step_outside_zero_to_one_is_refused(double step)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CapacityPricing { Step = step }.Validate());
    }
}
