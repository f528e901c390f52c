namespace Matching.Engine.Domain;

/// <summary>
/// How a therapist works in the room, each axis in [0, 1]. These drive the bond pillar:
/// highly reactant clients do better with non-directive therapists (Beutler et al. 2018).
/// </summary>
/// <param name="Directiveness">0 follows the client's lead, 1 leads and sets homework.</param>
/// <param name="Structure">0 open and exploratory sessions, 1 agenda-driven and structured.</param>
/// <param name="Challenge">0 warm support, 1 gentle challenge.</param>
public sealed record CommunicationStyle(double Directiveness, double Structure, double Challenge);

/// <summary>A therapist as listed in the directory. Everything here is what the therapist chose to publish.</summary>
/// <param name="Id">Stable directory id (tag format).</param>
/// <param name="DisplayName">Professional name shown to clients.</param>
/// <param name="LicensedRegions">Region codes (e.g. <c>us-ny</c>) where the therapist may practise, including by video.</param>
/// <param name="InPersonCities">City tags with an office; empty when video only.</param>
/// <param name="OffersVideo">Whether the therapist offers video sessions.</param>
/// <param name="Languages">ISO 639-1 codes the therapist works in.</param>
/// <param name="Modalities">Modalities offered.</param>
/// <param name="Specialties">Goals the therapist specialises in.</param>
/// <param name="Style">Communication style.</param>
/// <param name="CulturalCompetencies">Cultural and identity communities the therapist lists competence with (tags).</param>
/// <param name="LivedExperience">Lived experience the therapist chooses to list (tags).</param>
/// <param name="Gender">Therapist gender.</param>
/// <param name="FaithTradition">Faith tradition the therapist offers faith-informed practice in, or null.</param>
/// <param name="InsuranceAccepted">Payer tags accepted.</param>
/// <param name="Fee">Self-pay fee per session.</param>
/// <param name="AgeGroups">Age groups served.</param>
/// <param name="Availability">Times of the week with appointments.</param>
/// <param name="WeeklyNewClientCapacity">New clients the therapist can take per week.</param>
/// <param name="AcceptingNewClients">Whether the therapist is taking new clients at all.</param>
public sealed record TherapistProfile(
    string Id,
    string DisplayName,
    IReadOnlyList<string> LicensedRegions,
    IReadOnlyList<string> InPersonCities,
    bool OffersVideo,
    IReadOnlyList<string> Languages,
    IReadOnlyList<Modality> Modalities,
    IReadOnlyList<Goal> Specialties,
    CommunicationStyle Style,
    IReadOnlyList<string> CulturalCompetencies,
    IReadOnlyList<string> LivedExperience,
    Gender Gender,
    string? FaithTradition,
    IReadOnlyList<string> InsuranceAccepted,
    decimal Fee,
    AgeGroups AgeGroups,
    Availability Availability,
    int WeeklyNewClientCapacity,
    bool AcceptingNewClients);
