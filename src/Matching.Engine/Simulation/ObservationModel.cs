namespace Matching.Engine.Simulation;

/// <summary>
/// From the latent alliance to what the service sees: WAI-SR items, dropout and its timing,
/// session counts. Constants follow the science page; calibrated ones say so.
/// </summary>
internal static class ObservationModel
{
    /// <summary>Variance of one session's measurement noise: reliability Var(A) / (Var(A) + .30) is about .77.</summary>
    internal const double NoiseVariance = 0.30;

    /// <summary>Alliance tends to grow over the first sessions; small, per session after the first (estimate).</summary>
    internal const double TrendPerSession = 0.05;

    internal const double ItemLoading = 0.8;
    internal const double ItemUniqueness = 0.6;

    /// <summary>Item thresholds between categories 1|2, 2|3, 3|4, 4|5 on the standardised latent response.</summary>
    private static readonly double[] Thresholds = [-2.2, -1.5, -0.7, 0.25];

    internal const int RatingSession = 3;

    // logit P(drop) = -1.47 - 0.64 A + 0.38 has_pref (1 - pref_met), the science page's model:
    // about 19.7% dropout (Swift & Greenberg 2012), lower alliance in dropouts (Sharf et al. 2010),
    // more dropout when a stated preference is not accommodated (Swift et al. 2018).
    internal const double DropoutIntercept = -1.47;
    internal const double DropoutAllianceSlope = -0.64;
    internal const double DropoutUnmetPreference = 0.38;

    // Calibrated (not from the literature): the timing of a dropout depends on the alliance so that
    // early leavers are the low-alliance ones (their rating is missing not at random), with an
    // intercept giving about half of dropouts before session 3.
    internal const double EarlyDropoutIntercept = -0.35;
    internal const double EarlyDropoutAllianceSlope = -0.9;

    internal static double DropoutProbability(double alliance, bool hasPreference, double preferenceMet) =>
        Logistic(DropoutIntercept + DropoutAllianceSlope * alliance + (hasPreference ? DropoutUnmetPreference * (1 - preferenceMet) : 0));

    internal static double EarlyDropoutProbability(double alliance) =>
        Logistic(EarlyDropoutIntercept + EarlyDropoutAllianceSlope * (alliance - AllianceTruth.Mu));

    /// <summary>
    /// WAI-SR items for one session: O = A + trend + noise, standardised with the population
    /// moments, then y*_k = 0.8 O_std + 0.6 u_k cut at the thresholds into categories 1-5.
    /// </summary>
    internal static int[] WaiSrItems(double alliance, int session, TruthMoments moments, SimulationRandom rng)
    {
        var trend = TrendPerSession * (session - 1);
        var observed = alliance + trend + Math.Sqrt(NoiseVariance) * rng.NextGaussian();
        var standardised = (observed - (moments.AllianceMean + trend)) / Math.Sqrt(moments.AllianceVariance + NoiseVariance);
        var items = new int[12];
        for (var k = 0; k < items.Length; k++)
        {
            var y = ItemLoading * standardised + ItemUniqueness * rng.NextGaussian();
            var category = 1;
            foreach (var threshold in Thresholds)
            {
                if (y > threshold)
                {
                    category++;
                }
            }

            items[k] = category;
        }

        return items;
    }

    /// <summary>Number of failures before the first success, success probability p (>= 0).</summary>
    internal static int Geometric(SimulationRandom rng, double p)
    {
        var n = 0;
        while (!rng.Chance(p) && n < 60)
        {
            n++;
        }

        return n;
    }

    internal static double Logistic(double x) => 1.0 / (1.0 + Math.Exp(-x));
}
