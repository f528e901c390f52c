namespace Matching.Engine.Matching;

/// <summary>
/// A bounded, randomised exploration slot on the served shortlist (issue 12, item 2). With
/// probability <see cref="Share"/> per match, the last position of a full shortlist goes to one
/// therapist drawn uniformly from the eligible under-observed therapists the deterministic
/// ranking left out; every other position, and every hard constraint, is as without exploration.
/// </summary>
/// <remarks>
/// The propensity of each shown item (the probability it had of being shown at its position
/// under this policy, given the client and the directory) is exact: 1 at positions 1 to
/// limit − 1; at the last position 1 − ε for the deterministic item when n &gt; 0 under-observed
/// eligible therapists are outside the deterministic list (1 when n = 0: nothing can be drawn),
/// and ε / n for an explored therapist. The deterministic top limit − 1 do not depend on the draw,
/// so this is both the marginal probability of the item at its position and the probability
/// given the items above it.
/// </remarks>
/// <param name="Share">ε, the share of matches whose last slot is explored, 0 to <see cref="MaxShare"/>. Default 0 (off).</param>
/// <param name="UnderObservedRatings">A therapist with fewer alliance ratings than this is under-observed. Default 10.</param>
public sealed record Exploration(double Share = 0, int UnderObservedRatings = Exploration.DefaultUnderObservedRatings)
{
    /// <summary>Highest allowed share: at most half of the matches lose their last deterministic item.</summary>
    public const double MaxShare = 0.5;

    /// <summary>Default threshold of ratings below which a therapist is under-observed.</summary>
    public const int DefaultUnderObservedRatings = 10;

    /// <summary>The share ε the service explores with unless configured otherwise: one match in twenty.</summary>
    public const double DefaultShare = 0.05;

    /// <summary>No exploration: the ranking is exactly the deterministic one.</summary>
    public static Exploration Off { get; } = new();

    /// <summary>Whether a match can explore at all.</summary>
    public bool IsOn => Share > 0;

    /// <summary>Whether the settings are in range (ε in [0, <see cref="MaxShare"/>], threshold at least 1).</summary>
    public bool IsValid => Share is >= 0 and <= MaxShare && UnderObservedRatings >= 1;

    /// <summary>Whether a therapist with this track record is under-observed.</summary>
    public bool IsUnderObserved(TrackRecord track)
    {
        ArgumentNullException.ThrowIfNull(track);
        return track.Ratings < UnderObservedRatings;
    }
}
