using Matching.Engine.Domain;

namespace Matching.Engine.Simulation;

/// <summary>
/// What a logging policy is given to build one shortlist.
/// </summary>
/// <param name="Client">The client's request.</param>
/// <param name="Eligible">Therapists passing every hard constraint, capacity included, in directory order.</param>
/// <param name="Size">Most therapists the shortlist may hold.</param>
/// <param name="At">When the shortlist is built.</param>
/// <param name="IsRematch">Whether this is a second shortlist after a dropout.</param>
/// <param name="Random">Randomness for the policy, from its own stream for this client and attempt.</param>
public sealed record ShortlistRequest(
    ClientPreferences Client,
    IReadOnlyList<TherapistProfile> Eligible,
    int Size,
    DateTimeOffset At,
    bool IsRematch,
    SimulationRandom Random);

/// <summary>
/// A logging policy: how the simulated service picked and ordered the shortlist it showed. It is
/// pluggable so that an evaluation can replay the same world under another policy (a ranker,
/// a random or rule-based baseline); its name is logged with every shortlist so that offline
/// evaluation knows which policy produced which positions.
/// </summary>
public sealed class ShortlistPolicy
{
    private readonly Func<ShortlistRequest, IReadOnlyList<TherapistProfile>> _select;
    private readonly Func<ShortlistRequest, IReadOnlyList<TherapistProfile>, double[]>? _propensities;

    /// <summary>Creates a policy.</summary>
    /// <param name="name">Logged name, a tag (lower case, digits, hyphens).</param>
    /// <param name="select">Returns up to <see cref="ShortlistRequest.Size"/> distinct eligible therapists, best first.</param>
    /// <param name="propensities">
    /// For a shortlist the policy returned, the probability of each item at its position given the
    /// items above it (see <see cref="Propensities"/>); null when the policy cannot say (logged as unknown).
    /// </param>
    public ShortlistPolicy(string name, Func<ShortlistRequest, IReadOnlyList<TherapistProfile>> select, Func<ShortlistRequest, IReadOnlyList<TherapistProfile>, double[]>? propensities = null)
    {
        if (!Vocabulary.IsValidTag(name))
        {
            throw new ArgumentException("A policy name is a tag: lower-case letters, digits and hyphens.", nameof(name));
        }

        ArgumentNullException.ThrowIfNull(select);
        Name = name;
        _select = select;
        _propensities = propensities;
    }

    /// <summary>Logged name of the policy.</summary>
    public string Name { get; }

    /// <summary>Builds a shortlist, best first.</summary>
    public IReadOnlyList<TherapistProfile> Select(ShortlistRequest request) => _select(request);

    /// <summary>
    /// The logged propensity of each item of <paramref name="shown"/>: the probability that the
    /// policy put that therapist at that position given the therapists above it. The product of the
    /// first k is the probability of the whole top k; at position 1 it is also the marginal
    /// probability. The same definition as the served exploration slot's (whose positions above
    /// the last are deterministic), so one inverse-propensity weight serves both logs. Null when
    /// the policy gives none.
    /// </summary>
    public double[]? Propensities(ShortlistRequest request, IReadOnlyList<TherapistProfile> shown) => _propensities?.Invoke(request, shown);

    /// <summary>
    /// The default logging policy: stated-preference fit perturbed by Gumbel noise, then the top
    /// <c>Size</c>. That is a Plackett-Luce draw with weights exp(fit / temperature): therapists
    /// meeting stated preferences are favoured, but every eligible therapist has a chance at every
    /// position, so the log holds real alternatives and exploration for off-policy evaluation.
    /// </summary>
    /// <param name="temperature">Noise scale; larger explores more. Default 0.5.</param>
    public static ShortlistPolicy NoisyStatedPreference(double temperature = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(temperature);
        return new ShortlistPolicy("noisy-stated-preference", request =>
        {
            var eligible = request.Eligible;
            var keys = new double[eligible.Count];
            var order = new int[eligible.Count];
            for (var k = 0; k < keys.Length; k++)
            {
                keys[k] = -(PerceivedFit.Score(request.Client, eligible[k]) / temperature + request.Random.NextGumbel());
                order[k] = k;
            }

            Array.Sort(keys, order);
            return Take(eligible, order, request.Size);
        }, (request, shown) =>
        {
            // Plackett-Luce with weights exp(fit / temperature): p_k = w_k / (sum of the weights
            // of those not yet placed). Weights are taken relative to the largest for range.
            var eligible = request.Eligible;
            var logits = new double[eligible.Count];
            var max = double.NegativeInfinity;
            for (var k = 0; k < logits.Length; k++)
            {
                logits[k] = PerceivedFit.Score(request.Client, eligible[k]) / temperature;
                max = Math.Max(max, logits[k]);
            }

            var total = 0.0;
            var weightOf = new Dictionary<string, double>(eligible.Count, StringComparer.Ordinal);
            for (var k = 0; k < logits.Length; k++)
            {
                var w = Math.Exp(logits[k] - max);
                weightOf[eligible[k].Id] = w;
                total += w;
            }

            var propensities = new double[shown.Count];
            for (var p = 0; p < shown.Count; p++)
            {
                var w = weightOf[shown[p].Id];
                propensities[p] = Math.Min(1, w / total);
                total -= w;
            }

            return propensities;
        });
    }

    /// <summary>A uniformly random shortlist: the baseline with no knowledge at all.</summary>
    public static ShortlistPolicy UniformRandom { get; } = new("uniform-random", request =>
    {
        var order = new int[request.Eligible.Count];
        for (var k = 0; k < order.Length; k++)
        {
            order[k] = k;
        }

        // Fisher-Yates with the request's own stream.
        for (var k = order.Length - 1; k > 0; k--)
        {
            var r = request.Random.NextInt(k + 1);
            (order[k], order[r]) = (order[r], order[k]);
        }

        return Take(request.Eligible, order, request.Size);
    }, (request, shown) => [.. Enumerable.Range(0, shown.Count).Select(p => 1.0 / (request.Eligible.Count - p))]);

    private static TherapistProfile[] Take(IReadOnlyList<TherapistProfile> eligible, int[] order, int size)
    {
        var n = Math.Min(size, order.Length);
        var result = new TherapistProfile[n];
        for (var k = 0; k < n; k++)
        {
            result[k] = eligible[order[k]];
        }

        return result;
    }
}
