using Matching.Engine.Domain;

namespace Matching.Engine.Simulation;

/// <summary>
/// What the simulator knows about a therapist and no directory shows: the therapist's main effect
/// on the alliance and a small domain-specific effectiveness per goal (the "track record" the Match
/// trial matched on). Together they make the therapist part of the alliance, variance about .08.
/// </summary>
/// <param name="Tau">General therapist effect on the latent alliance, N(0, .06).</param>
/// <param name="DomainEffects">Effect per <see cref="Goal"/> (indexed by the enum value), each N(0, .03), weighted by the client's goal order.</param>
public sealed record TherapistLatent(double Tau, IReadOnlyList<double> DomainEffects);

/// <summary>What the simulator knows about a client and the client never states as such.</summary>
/// <param name="Gamma">Client main effect on the alliance with anyone, N(0, .68); it cannot change a ranking.</param>
/// <param name="Reactance">Reactance, standard normal: high means the client resists being directed.</param>
/// <param name="LimitedEnglish">English is not the client's first language and therapy in it would be weaker (Griner &amp; Smith 2006).</param>
/// <param name="WantsCulturalMatch">A therapist sharing or knowing the client's background matters to the bond (Cabral &amp; Smith 2011).</param>
public sealed record ClientLatent(double Gamma, double Reactance, bool LimitedEnglish, bool WantsCulturalMatch);
