using Matching.Engine.Learning;

namespace Matching.Engine.Tests.Learning;

public sealed class OffPolicyTests
{
    // A tiny bandit whose truth is known: three therapists shown first with logging probabilities
    // 0.5, 0.3 and 0.2, mean alliance 1, 2 and 4; the evaluated policy always puts the third first.
    private static readonly double[] Logging = [0.5, 0.3, 0.2];
    private static readonly double[] MeanReward = [1, 2, 4];
    private const int Target = 2;

    private static LoggedDecision Log(int action, double reward) => new(reward, Logging[action], action == Target ? 1 : 0);

    [Test]
    public void Plain_ips_is_unbiased_its_expectation_over_the_logging_policy_is_the_truth()
    {
        // Exact expectation by enumeration: Σ_a π_log(a) · IPS(one log of a).
        var expectation = Enumerable.Range(0, 3).Sum(a => Logging[a] * OffPolicy.Ips([Log(a, MeanReward[a])]));
        Assert.That(expectation, Is.EqualTo(MeanReward[Target]).Within(1e-12));
    }

    [Test]
    public void Self_normalised_ips_on_a_simulated_log_covers_the_truth_and_the_logging_policys_mean_does_not()
    {
        var random = new Random(11);
        var logs = new List<LoggedDecision>();
        for (var i = 0; i < 20_000; i++)
        {
            var u = random.NextDouble();
            var a = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
            logs.Add(Log(a, MeanReward[a] + (random.NextDouble() - 0.5)));
        }

        var estimate = OffPolicy.SelfNormalised(logs);
        var naive = logs.Average(l => l.Reward);

        Assert.Multiple(() =>
        {
            Assert.That(MeanReward[Target], Is.InRange(estimate.Low, estimate.High));
            Assert.That(estimate.Estimate, Is.EqualTo(MeanReward[Target]).Within(0.05));
            Assert.That(naive, Is.Not.InRange(estimate.Low, estimate.High), "the unweighted log mean is the logging policy's value");
            Assert.That(estimate.Matched, Is.EqualTo(logs.Count(l => l.Target > 0)));
            Assert.That(estimate.EffectiveSize, Is.EqualTo(estimate.Matched).Within(1e-6), "equal weights on every matched log");
        });
    }

    [Test]
    public void Self_normalised_ips_reweights_a_stochastic_target_exactly_on_an_enumerated_log()
    {
        // A log holding each action in proportion to its logging probability (10 logs); the target
        // plays the actions with 0.2, 0.2, 0.6: SNIPS on this exact sample equals the target's value.
        double[] target = [0.2, 0.2, 0.6];
        var logs = new List<LoggedDecision>();
        for (var a = 0; a < 3; a++)
        {
            for (var k = 0; k < (int)Math.Round(Logging[a] * 10); k++)
            {
                logs.Add(new LoggedDecision(MeanReward[a], Logging[a], target[a]));
            }
        }

        var truth = target.Select((t, a) => t * MeanReward[a]).Sum();
        Assert.That(OffPolicy.SelfNormalised(logs).Estimate, Is.EqualTo(truth).Within(1e-12));
    }

    [Test]
    public void Weights_are_clipped_and_no_match_gives_no_estimate()
    {
        LoggedDecision[] rare = [new(10, 0.001, 1), new(0, 1, 0)];
        Assert.That(OffPolicy.Ips(rare, clip: 10), Is.EqualTo(10 * 10 / 2.0));
        Assert.That(double.IsNaN(OffPolicy.SelfNormalised([new LoggedDecision(1, 0.5, 0)]).Estimate), Is.True);
    }
}
