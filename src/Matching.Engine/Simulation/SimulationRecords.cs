using Matching.Engine.Domain;

namespace Matching.Engine.Simulation;

/// <summary>One therapist on a logged shortlist.</summary>
/// <param name="TherapistId">Therapist id.</param>
/// <param name="Position">1-based position as shown, 1 at the top.</param>
/// <param name="Propensity">The logging policy's probability of this therapist at this position given those above it (<see cref="ShortlistPolicy.Propensities"/>); null when the policy gives none.</param>
public sealed record SimulatedShortlistItem(string TherapistId, int Position, double? Propensity = null);

/// <summary>A shortlist the service showed a client, with positions, so position bias and the logging policy can be corrected for offline.</summary>
/// <param name="ShortlistId">Id of the shortlist; deterministic for a seed.</param>
/// <param name="ClientId">Pseudonymous client id.</param>
/// <param name="CreatedAt">When it was shown.</param>
/// <param name="Policy">Name of the logging policy that built it.</param>
/// <param name="Items">Therapists in display order.</param>
/// <param name="IsRematch">Whether it followed a dropout and a rematch request.</param>
public sealed record SimulatedShortlist(
    Guid ShortlistId,
    string ClientId,
    DateTimeOffset CreatedAt,
    string Policy,
    IReadOnlyList<SimulatedShortlistItem> Items,
    bool IsRematch);

/// <summary>The therapist a client chose from a shortlist. A shortlist without a choice has no record.</summary>
/// <param name="ShortlistId">The shortlist chosen from.</param>
/// <param name="ClientId">Pseudonymous client id.</param>
/// <param name="TherapistId">The therapist chosen.</param>
/// <param name="At">When.</param>
public sealed record SimulatedChoice(Guid ShortlistId, string ClientId, string TherapistId, DateTimeOffset At);

/// <summary>A WAI-SR the client filled in (at session 3, unless they dropped out before it).</summary>
/// <param name="ShortlistId">The shortlist the match came from.</param>
/// <param name="ClientId">Pseudonymous client id.</param>
/// <param name="TherapistId">The therapist rated.</param>
/// <param name="SessionNumber">Session after which it was filled in.</param>
/// <param name="WaiSrItems">The 12 item scores, 1-5, in the order printed on the form.</param>
/// <param name="At">When.</param>
public sealed record SimulatedRating(
    Guid ShortlistId,
    string ClientId,
    string TherapistId,
    int SessionNumber,
    IReadOnlyList<int> WaiSrItems,
    DateTimeOffset At)
{
    /// <summary>WAI-SR total, 12-60.</summary>
    public int Total => WaiSrItems.Sum();
}

/// <summary>
/// An outcome event of a match: a dropout or completion with the last session attended, and, for
/// a client asking for another therapist after an early dropout, a rematch event on the same
/// match in addition to the dropout.
/// </summary>
/// <param name="ShortlistId">The shortlist the match came from.</param>
/// <param name="ClientId">Pseudonymous client id.</param>
/// <param name="TherapistId">The therapist of the match.</param>
/// <param name="Kind">What happened.</param>
/// <param name="SessionNumber">Last session attended.</param>
/// <param name="At">When it was reported.</param>
public sealed record SimulatedOutcome(
    Guid ShortlistId,
    string ClientId,
    string TherapistId,
    OutcomeKind Kind,
    int SessionNumber,
    DateTimeOffset At);

/// <summary>Counts that say how constrained the simulated service was.</summary>
/// <param name="Requests">Shortlist requests: arrivals plus rematches.</param>
/// <param name="RequestsWithoutEligible">Requests no therapist could serve; no shortlist was shown.</param>
/// <param name="RequestsLimitedByCapacity">Requests where at least one otherwise eligible therapist was full for the week.</param>
/// <param name="MeanEligible">Mean number of eligible therapists per request that had any.</param>
public sealed record SimulationDiagnostics(int Requests, int RequestsWithoutEligible, int RequestsLimitedByCapacity, double MeanEligible);

/// <summary>A simulated service history and the hidden truth behind it.</summary>
/// <param name="Options">The options of the run.</param>
/// <param name="Policy">Name of the logging policy.</param>
/// <param name="Therapists">The directory.</param>
/// <param name="Clients">Client requests, in id order.</param>
/// <param name="Shortlists">Shortlists shown, in time order.</param>
/// <param name="Choices">Choices made, in time order of their shortlists.</param>
/// <param name="Ratings">Alliance ratings, in time order.</param>
/// <param name="Outcomes">Outcome events, in time order.</param>
/// <param name="Truth">The hidden alliance of every pair; never shown to a ranker in training.</param>
/// <param name="Diagnostics">How constrained the service was.</param>
public sealed record SimulationResult(
    SimulationOptions Options,
    string Policy,
    IReadOnlyList<TherapistProfile> Therapists,
    IReadOnlyList<ClientPreferences> Clients,
    IReadOnlyList<SimulatedShortlist> Shortlists,
    IReadOnlyList<SimulatedChoice> Choices,
    IReadOnlyList<SimulatedRating> Ratings,
    IReadOnlyList<SimulatedOutcome> Outcomes,
    AllianceTruth Truth,
    SimulationDiagnostics Diagnostics);
