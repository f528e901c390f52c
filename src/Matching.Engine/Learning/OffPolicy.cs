using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Engine.Learning;

/// <summary>One logged decision as an off-policy estimator sees it.</summary>
/// <param name="Reward">The outcome observed for the logged action.</param>
/// <param name="Propensity">The logging policy's probability of that action, in (0, 1].</param>
/// <param name="Target">The evaluated policy's probability of the same action (1 or 0 for a deterministic policy).</param>
public readonly record struct LoggedDecision(double Reward, double Propensity, double Target);

/// <summary>A self-normalised inverse-propensity estimate with its 95% bootstrap interval.</summary>
/// <param name="Estimate">Σ w·r / Σ w with w = min(clip, target / propensity); NaN when no log matches.</param>
/// <param name="Low">2.5th percentile of the bootstrap.</param>
/// <param name="High">97.5th percentile of the bootstrap.</param>
/// <param name="Logs">Logged decisions.</param>
/// <param name="Matched">Logs with a non-zero weight.</param>
/// <param name="EffectiveSize">(Σ w)² / Σ w²: how many equally weighted logs the estimate is worth.</param>
public sealed record OffPolicyEstimate(double Estimate, double Low, double High, int Logs, int Matched, double EffectiveSize);

/// <summary>
/// An off-policy estimate of a policy's alliance from logged shortlists, next to the simulator's truth.
/// </summary>
/// <param name="Policy">Policy name.</param>
/// <param name="Observed">Self-normalised IPS of the observed alliance rating (0-1) of the chosen therapist.</param>
/// <param name="True">The same estimator with the simulator's true alliance (latent SD units) of the chosen pair as reward.</param>
/// <param name="Truth">The truth it estimates: mean true alliance of the policy's first-ranked therapist over the same clients.</param>
public sealed record OffPolicyMetrics(string Policy, OffPolicyEstimate Observed, OffPolicyEstimate? True, double? Truth);

/// <summary>A labeled match as the off-policy evaluation reads it: the client, the therapist chosen at the top of the list, its propensity there, and the rating.</summary>
/// <param name="Client">The client's request.</param>
/// <param name="TherapistId">The therapist chosen.</param>
/// <param name="Propensity">The logged propensity of that therapist at position 1.</param>
/// <param name="Alliance">The observed alliance rating, 0-1.</param>
public sealed record LoggedTopChoice(ClientPreferences Client, string TherapistId, double Propensity, double Alliance);

/// <summary>
/// Off-policy evaluation by self-normalised inverse propensity scoring with clipping (Swaminathan
/// and Joachims 2015), and its bootstrap interval.
/// </summary>
public static class OffPolicy
{
    /// <summary>Default clip of the weights, as in training.</summary>
    public const double DefaultClip = 10;

    /// <summary>Plain inverse propensity scoring: the mean of w·r (unbiased without clipping when every target action has a positive logging propensity).</summary>
    public static double Ips(IReadOnlyList<LoggedDecision> logs, double clip = double.PositiveInfinity)
    {
        ArgumentNullException.ThrowIfNull(logs);
        return logs.Count == 0 ? double.NaN : logs.Sum(l => Weight(l, clip) * l.Reward) / logs.Count;
    }

    /// <summary>Self-normalised IPS with clipping and a percentile bootstrap over the logs.</summary>
    public static OffPolicyEstimate SelfNormalised(IReadOnlyList<LoggedDecision> logs, double clip = DefaultClip, int resamples = 500, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var weights = logs.Select(l => Weight(l, clip)).ToArray();
        var rewards = logs.Select(l => l.Reward).ToArray();
        var estimate = Snips(weights, rewards, null);
        var sum = weights.Sum();
        var squares = weights.Sum(w => w * w);
        var matched = weights.Count(w => w > 0);
        if (matched == 0)
        {
            return new OffPolicyEstimate(double.NaN, double.NaN, double.NaN, logs.Count, 0, 0);
        }

        var random = new Random(seed);
        var draws = new List<double>(resamples);
        var pick = new int[logs.Count];
        for (var b = 0; b < resamples; b++)
        {
            for (var i = 0; i < pick.Length; i++)
            {
                pick[i] = random.Next(pick.Length);
            }

            var value = Snips(weights, rewards, pick);
            if (!double.IsNaN(value))
            {
                draws.Add(value);
            }
        }

        draws.Sort();
        return new OffPolicyEstimate(estimate, Percentile(draws, 0.025), Percentile(draws, 0.975), logs.Count, matched, sum * sum / squares);
    }

    /// <summary>
    /// Each policy's self-normalised IPS estimate of the alliance of its first-ranked therapist, from
    /// the logged matches where the client chose the therapist at the top of the list: the logged
    /// action is who stood at position 1 (propensity exact for the served slot and the
    /// Plackett-Luce log alike), a policy matches a log when it ranks that therapist first among the
    /// client's eligible therapists (full weekly capacity, track records as of the cutoff). With a
    /// truth, the same estimator is run with the true alliance as reward, next to the truth itself.
    /// </summary>
    public static IReadOnlyList<OffPolicyMetrics> Estimate(
        IReadOnlyList<LoggedTopChoice> logs,
        IReadOnlyList<TherapistProfile> therapists,
        IReadOnlyDictionary<string, TrackRecord> tracks,
        IReadOnlyList<EvaluatedPolicy> policies,
        AllianceTruth? truth,
        double clip = DefaultClip,
        int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(therapists);
        ArgumentNullException.ThrowIfNull(tracks);
        ArgumentNullException.ThrowIfNull(policies);
        var prior = AlliancePrior.Of(tracks.Values);
        var n = PairFeatures.Count;
        var models = policies.Where(p => p.Model is not null && !p.Priced).ToList();
        var observed = models.Select(_ => new List<LoggedDecision>()).ToArray();
        var trueRewards = models.Select(_ => new List<LoggedDecision>()).ToArray();
        var truthSums = new double[models.Count];
        var truthCount = 0;
        foreach (var log in logs)
        {
            var eligible = therapists.Where(t => HardConstraintFilter.FirstFailed(log.Client, t, t.WeeklyNewClientCapacity) is null).ToArray();
            if (eligible.Length == 0)
            {
                continue;
            }

            var features = new float[eligible.Length * n];
            for (var s = 0; s < eligible.Length; s++)
            {
                var t = eligible[s];
                PairFeatures.Compute(log.Client, new Candidate(t, t.WeeklyNewClientCapacity, tracks.GetValueOrDefault(t.Id) ?? TrackRecord.None), prior, features.AsSpan(s * n, n));
            }

            var ci = truth?.IndexOfClient(log.Client.ClientId) ?? -1;
            var chosenIndex = truth?.IndexOfTherapist(log.TherapistId) ?? -1;
            var hasTruth = ci >= 0 && chosenIndex >= 0;
            truthCount += hasTruth ? 1 : 0;
            var scores = new double[eligible.Length];
            for (var p = 0; p < models.Count; p++)
            {
                models[p].Model!.Score(features, eligible.Length, scores);
                var top = 0;
                for (var s = 1; s < eligible.Length; s++)
                {
                    if (scores[s] > scores[top] || (scores[s] == scores[top] && string.CompareOrdinal(eligible[s].Id, eligible[top].Id) < 0))
                    {
                        top = s;
                    }
                }

                var target = eligible[top].Id == log.TherapistId ? 1.0 : 0.0;
                observed[p].Add(new LoggedDecision(log.Alliance, log.Propensity, target));
                if (hasTruth)
                {
                    trueRewards[p].Add(new LoggedDecision(truth!.TrueAlliance(ci, chosenIndex), log.Propensity, target));
                    var topIndex = truth.IndexOfTherapist(eligible[top].Id);
                    truthSums[p] += topIndex >= 0 ? truth.TrueAlliance(ci, topIndex) : 0;
                }
            }
        }

        return [.. models.Select((m, p) => new OffPolicyMetrics(
            m.Name,
            SelfNormalised(observed[p], clip, seed: seed),
            truthCount > 0 ? SelfNormalised(trueRewards[p], clip, seed: seed) : null,
            truthCount > 0 ? truthSums[p] / truthCount : null))];
    }

    private static double Weight(LoggedDecision log, double clip) =>
        log.Target <= 0 ? 0 : Math.Min(clip, log.Target / (log.Propensity is > 0 and <= 1 ? log.Propensity : 1));

    private static double Snips(double[] weights, double[] rewards, int[]? pick)
    {
        double num = 0, den = 0;
        var count = pick?.Length ?? weights.Length;
        for (var k = 0; k < count; k++)
        {
            var i = pick is null ? k : pick[k];
            num += weights[i] * rewards[i];
            den += weights[i];
        }

        return den > 0 ? num / den : double.NaN;
    }

    private static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Round(q * (sorted.Count - 1)), 0, sorted.Count - 1)];
}
