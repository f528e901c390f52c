using Matching.Engine.Matching;

namespace Matching.Api.Ranking;

/// <summary>
/// Holds the model that ranks. Models are immutable; a swap replaces the reference atomically,
/// so a request that read <see cref="Current"/> finishes on the model it started with.
/// </summary>
public sealed class RankerHolder
{
    private IRankingModel _current = RuleBasedScorer.Instance;

    /// <summary>The model serving now: the rule-based baseline until a learned model is activated.</summary>
    public IRankingModel Current => Volatile.Read(ref _current);

    /// <summary>Replaces the serving model.</summary>
    public void Swap(IRankingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Volatile.Write(ref _current, model);
        Infrastructure.MatchingMetrics.ModelReloads.Add(1, new KeyValuePair<string, object?>("model.version", model.Version));
    }
}
