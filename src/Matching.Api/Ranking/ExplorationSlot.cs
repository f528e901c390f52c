using Matching.Engine.Matching;
using Microsoft.Extensions.Options;

namespace Matching.Api.Ranking;

/// <summary>The served exploration slot's settings, bound from <c>Matching:Exploration</c> (see <see cref="Exploration"/>).</summary>
public sealed class ExplorationOptions
{
    /// <summary>
    /// ε: the share of matches whose last position goes to an eligible under-observed therapist
    /// drawn uniformly from those the ranking left out. 0 turns exploration off; at most
    /// <see cref="Exploration.MaxShare"/>. Default 0.05: one match in twenty gives up its tenth
    /// (lowest) position, about 0.5% of the shortlist positions served.
    /// </summary>
    public double Share { get; set; } = Exploration.DefaultShare;

    /// <summary>A therapist with fewer alliance ratings than this is under-observed. Default 10.</summary>
    public int UnderObservedRatings { get; set; } = Exploration.DefaultUnderObservedRatings;

    /// <summary>The engine's settings.</summary>
    public Exploration ToExploration() => new(Share, UnderObservedRatings);
}

/// <summary>
/// The exploration settings and the draws every match uses: <see cref="Random.Shared"/> (thread-safe,
/// no allocation per draw) unless a test registers a seeded one.
/// </summary>
public sealed class ExplorationSlot(IOptions<ExplorationOptions> options, Random? random = null)
{
    /// <summary>The settings.</summary>
    public Exploration Settings { get; } = options.Value.ToExploration();

    /// <summary>The draws.</summary>
    public Random Random { get; } = random ?? Random.Shared;
}
