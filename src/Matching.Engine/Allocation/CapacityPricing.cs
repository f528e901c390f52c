namespace Matching.Engine.Allocation;

/// <summary>
/// How therapists' capacity prices are learned: the capacity constraints' shadow prices of the
/// best assignment of the requests still expected this week to the places still left (the dual
/// of the assignment problem, Johari et al. arXiv:1603.04549), re-solved off the request path
/// every <see cref="Refresh"/> and blended into the prices in use. The requests still expected
/// are forecast by the recent past: those that arrived in the same remaining part of the week,
/// one to <see cref="WindowWeeks"/> weeks earlier (<see cref="Window"/>). The ranking score
/// becomes the model's score minus the therapist's price, so demand is steered away from
/// therapists who would fill anyway towards those who suit the client nearly as well and have
/// room; a therapist's price rises while its places are in demand and falls to 0 when they are not.
/// </summary>
public sealed record CapacityPricing
{
    /// <summary>
    /// Past weeks whose requests forecast the rest of this week; the places are multiplied by as
    /// many, so more weeks average out one week's chance arrivals. Default 4 (1, 2, 4 and 8 were
    /// compared on a tuning world, seed 43, never on the README's seed 42).
    /// </summary>
    public int WindowWeeks { get; init; } = 4;

    /// <summary>How often the prices are solved again. Default 6 hours.</summary>
    public TimeSpan Refresh { get; init; } = TimeSpan.FromHours(6);

    /// <summary>
    /// Step size of the price update, in (0, 1]: new price = old + step × (solved − old), a damped
    /// step towards the window's optimal dual. 1 takes the window's prices as they are; smaller
    /// steps average over windows and so over the noise of one week's arrivals. Default 1: with
    /// a four-week window the forecast is already averaged, and 1 did better than 0.5 on the
    /// tuning world (seed 43).
    /// </summary>
    public double Step { get; init; } = 1.0;

    /// <summary>
    /// Value, in score units, of sending a client to no one, below the lowest score in the window.
    /// Every real option is worth more than none, so a client is left out of the window's
    /// assignment only where places run out; it bounds every price by the window's score range
    /// plus this. Default 1.
    /// </summary>
    public double OutsideOption { get; init; } = 1.0;

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(WindowWeeks);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Refresh, TimeSpan.Zero);
        if (!(Step > 0 && Step <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Step), Step, "The step is in (0, 1].");
        }

        if (!(OutsideOption > 0) || !double.IsFinite(OutsideOption))
        {
            throw new ArgumentOutOfRangeException(nameof(OutsideOption), OutsideOption, "The outside option is a positive number.");
        }
    }

    /// <summary>
    /// The spans of past requests that forecast the rest of the week of <paramref name="now"/>:
    /// for k = 1 to <see cref="WindowWeeks"/>, from k weeks before <paramref name="now"/> to k
    /// weeks before the end of its week. Capacity resets on Monday 00:00 UTC (<see cref="Domain.Calendar"/>).
    /// </summary>
    public IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> Window(DateTimeOffset now)
    {
        var end = Domain.Calendar.WeekStart(now) + TimeSpan.FromDays(7);
        return [.. Enumerable.Range(1, WindowWeeks).Select(k => (now - TimeSpan.FromDays(7 * k), end - TimeSpan.FromDays(7 * k)))];
    }

    /// <summary>
    /// Solves the assignment of the forecast requests to the places left, with scores as weights,
    /// and returns the capacity prices in score units, one per therapist.
    /// </summary>
    /// <param name="placesLeft">New-client places each therapist has left this week (0 for one full or not accepting).</param>
    /// <param name="window">The requests in <see cref="Window"/>: each client's eligible therapists and the model's score for each.</param>
    public double[] Solve(IReadOnlyList<int> placesLeft, IReadOnlyList<AssignmentClient> window)
    {
        ArgumentNullException.ThrowIfNull(placesLeft);
        ArgumentNullException.ThrowIfNull(window);
        var lowest = double.PositiveInfinity;
        foreach (var c in window)
        {
            foreach (var w in c.Weights)
            {
                lowest = Math.Min(lowest, w);
            }
        }

        if (double.IsPositiveInfinity(lowest))
        {
            return new double[placesLeft.Count];
        }

        var shifted = new AssignmentClient[window.Count];
        for (var i = 0; i < shifted.Length; i++)
        {
            var weights = new double[window[i].Weights.Length];
            for (var k = 0; k < weights.Length; k++)
            {
                weights[k] = window[i].Weights[k] - lowest + OutsideOption;
            }

            shifted[i] = new AssignmentClient(window[i].Therapists, weights);
        }

        var capacity = placesLeft.Select(c => Math.Max(0, c) * WindowWeeks).ToArray();
        return CapacityAssignment.Solve(capacity, shifted).Prices;
    }

    /// <summary>
    /// Solves prices for a served directory: each request of the window is matched against the
    /// snapshot's hard constraints (therapists with places left), scored by the model, and
    /// the forecast assignment uses each therapist's places left this week. Off the request path:
    /// it scores every eligible therapist of every request in the window.
    /// </summary>
    /// <param name="directory">The snapshot.</param>
    /// <param name="model">The model that ranks; the prices are in its score units.</param>
    /// <param name="window">The requests of <see cref="Window"/>.</param>
    /// <returns>Price by therapist id, for every therapist some request of the window could have been given.</returns>
    public IReadOnlyDictionary<string, double> Solve(Matching.TherapistDirectory directory, Matching.IRankingModel model, IEnumerable<Domain.ClientPreferences> window)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(window);
        var words = directory.Words;
        var eligibleSet = new ulong[Math.Max(1, words)];
        var scratch = new ulong[Math.Max(1, words)];
        Span<int> excluded = stackalloc int[Matching.HardConstraintFilter.ConstraintCount];
        var n = Matching.PairFeatures.Count;
        var index = new Dictionary<int, int>();
        var slotsOf = new List<int>();
        var clients = new List<AssignmentClient>();
        foreach (var client in window)
        {
            Matching.HardConstraintFilter.Apply(client, directory, eligibleSet.AsSpan(0, words), scratch.AsSpan(0, words), excluded);
            var count = Matching.Bits.Count(eligibleSet.AsSpan(0, words));
            if (count == 0)
            {
                continue;
            }

            var slots = new int[count];
            Matching.Bits.Collect(eligibleSet.AsSpan(0, words), slots);
            var features = new float[count * n];
            Matching.PairFeatures.Compute(client, directory, slots, features);
            var scores = new double[count];
            model.Score(features, count, scores);
            var therapists = new int[count];
            for (var k = 0; k < count; k++)
            {
                if (!index.TryGetValue(slots[k], out var t))
                {
                    index[slots[k]] = t = slotsOf.Count;
                    slotsOf.Add(slots[k]);
                }

                therapists[k] = t;
            }

            clients.Add(new AssignmentClient(therapists, scores));
        }

        var left = slotsOf.Select(slot => directory.Entry(slot).Candidate.CapacityLeft).ToArray();
        var prices = Solve(left, clients);
        var result = new Dictionary<string, double>(slotsOf.Count, StringComparer.Ordinal);
        for (var t = 0; t < slotsOf.Count; t++)
        {
            result[directory.Entry(slotsOf[t]).Candidate.Profile.Id] = prices[t];
        }

        return result;
    }

    /// <summary>One damped step of the prices in use towards freshly solved ones, in place.</summary>
    /// <param name="prices">Prices in use, updated.</param>
    /// <param name="solved">The window's prices.</param>
    public void StepTowards(Span<double> prices, ReadOnlySpan<double> solved)
    {
        if (prices.Length != solved.Length)
        {
            throw new ArgumentException("One solved price per price in use.", nameof(solved));
        }

        for (var j = 0; j < prices.Length; j++)
        {
            prices[j] += Step * (solved[j] - prices[j]);
        }
    }
}
