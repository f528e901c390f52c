namespace Matching.Engine.Domain;

/// <summary>How strongly a client prefers a modality.</summary>
public enum PreferenceStrength
{
    /// <summary>Would like it.</summary>
    Slight = 1,
    /// <summary>Prefers it.</summary>
    Moderate = 2,
    /// <summary>Strongly prefers it.</summary>
    Strong = 3,
}

/// <summary>A preferred modality and its strength.</summary>
public sealed record ModalityPreference(Modality Modality, PreferenceStrength Strength);

/// <summary>
/// Preferred communication style. Each axis is a target in [0, 1] on the same scale as
/// <see cref="CommunicationStyle"/>, or null when the client has no preference.
/// </summary>
public sealed record StylePreference(double? Directiveness, double? Structure, double? Challenge);

/// <summary>
/// Cultural background exactly as the client states it (tags), and how much a therapist who
/// shares or knows it matters. It is used only in that direction: a therapist listing one of
/// these tags scores higher, weighted by <see cref="Importance"/>; with importance None the
/// tags are ignored. Nothing is ever inferred about a client's background.
/// </summary>
public sealed record CulturalPreference(IReadOnlyList<string> Backgrounds, Importance Importance);

/// <summary>Preferred therapist genders and how much it matters.</summary>
public sealed record GenderPreference(IReadOnlyList<Gender> Genders, Importance Importance);

/// <summary>A faith tradition the client wants faith-informed practice in, and how much it matters.</summary>
public sealed record FaithPreference(string Faith, Importance Importance);

/// <summary>Identity tags (e.g. <c>lgbtq</c>) the client wants the therapist to know or share, and how much it matters.</summary>
public sealed record IdentityPreference(IReadOnlyList<string> Identities, Importance Importance);

/// <summary>
/// What must hold for a therapist to be shown at all. A therapist failing any of these is
/// excluded and counted against the constraint that excluded it.
/// </summary>
/// <param name="Region">Region the client lives in; the therapist must be licensed there.</param>
/// <param name="Format">In person, video or either.</param>
/// <param name="City">City tag; required for in-person sessions.</param>
/// <param name="Insurance">Payer tag, or null for self-pay.</param>
/// <param name="MaxFee">Highest self-pay fee per session, or null.</param>
/// <param name="AgeGroup">The client's age group (a single flag).</param>
/// <param name="Availability">Times the client can attend; None means any.</param>
public sealed record HardConstraints(
    string Region,
    SessionFormat Format,
    string? City,
    string? Insurance,
    decimal? MaxFee,
    AgeGroups AgeGroup,
    Availability Availability);

/// <summary>A client's request: soft preferences that rank therapists and hard constraints that filter them.</summary>
/// <param name="ClientId">Pseudonymous client id (tag format); never a name.</param>
/// <param name="Goals">Goals in the client's order of priority, first most important (1-5).</param>
/// <param name="Modalities">Preferred modalities with strengths; may be empty.</param>
/// <param name="Style">Preferred communication style.</param>
/// <param name="Languages">Languages the client can have therapy in, first preferred (ISO 639-1). The therapist must share one.</param>
/// <param name="Culture">Cultural background and how much a match matters.</param>
/// <param name="Gender">Therapist gender preference, or null.</param>
/// <param name="Faith">Faith-informed practice preference, or null.</param>
/// <param name="Identity">Identity preference, or null.</param>
/// <param name="Constraints">Hard constraints.</param>
public sealed record ClientPreferences(
    string ClientId,
    IReadOnlyList<Goal> Goals,
    IReadOnlyList<ModalityPreference> Modalities,
    StylePreference Style,
    IReadOnlyList<string> Languages,
    CulturalPreference? Culture,
    GenderPreference? Gender,
    FaithPreference? Faith,
    IdentityPreference? Identity,
    HardConstraints Constraints);
