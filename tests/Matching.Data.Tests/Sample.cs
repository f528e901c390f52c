using Matching.Engine.Domain;
using Matching.Engine.Matching;

namespace Matching.Data.Tests;

/// <summary>Directory entries, requests and shortlists for the store tests.</summary>
internal static class Sample
{
    public static TherapistProfile Therapist(string id) => new(
        Id: id,
        DisplayName: $"Therapist {id}",
        LicensedRegions: ["us-ny"],
        InPersonCities: ["nyc"],
        OffersVideo: true,
        Languages: ["en"],
        Modalities: [Modality.Cbt],
        Specialties: [Goal.Anxiety],
        Style: new CommunicationStyle(0.5, 0.5, 0.5),
        CulturalCompetencies: [],
        LivedExperience: [],
        Gender: Gender.Woman,
        FaithTradition: null,
        InsuranceAccepted: ["aetna"],
        Fee: 150m,
        AgeGroups: AgeGroups.Adults,
        Availability: Availability.WeekdayEvening,
        WeeklyNewClientCapacity: 4,
        AcceptingNewClients: true);

    /// <summary>A profile with every field set to something other than its default.</summary>
    public static TherapistProfile FullTherapist(string id) => new(
        Id: id,
        DisplayName: "Dr. Ana Ruiz-Ødegård",
        LicensedRegions: ["us-ny", "us-nj"],
        InPersonCities: ["nyc", "hoboken"],
        OffersVideo: true,
        Languages: ["es", "en"],
        Modalities: [Modality.Emdr, Modality.Cbt, Modality.CompassionFocused],
        Specialties: [Goal.Trauma, Goal.Anxiety, Goal.LifeTransitions],
        Style: new CommunicationStyle(0.2, 0.65, 0.9),
        CulturalCompetencies: ["latin-american", "lgbtq"],
        LivedExperience: ["immigrant"],
        Gender: Gender.NonBinary,
        FaithTradition: "catholic",
        InsuranceAccepted: ["aetna", "cigna"],
        Fee: 149.99m,
        AgeGroups: AgeGroups.Adolescents | AgeGroups.Adults,
        Availability: Availability.WeekdayDaytime | Availability.Weekend,
        WeeklyNewClientCapacity: 3,
        AcceptingNewClients: false);

    public static ClientPreferences Request(string clientId, params Goal[] goals) => new(
        ClientId: clientId,
        Goals: goals,
        Modalities: [new ModalityPreference(Modality.Emdr, PreferenceStrength.Strong)],
        Style: new StylePreference(0.3, null, 0.7),
        Languages: ["es", "en"],
        Culture: new CulturalPreference(["latin-american"], Importance.Medium),
        Gender: null,
        Faith: null,
        Identity: new IdentityPreference(["lgbtq"], Importance.Low),
        Constraints: new HardConstraints("us-ny", SessionFormat.Video, null, "aetna", null, AgeGroups.Adults, Availability.WeekdayEvening | Availability.Weekend));

    /// <summary>A shortlist of <paramref name="therapistIds"/> in order, for a request whose first goal is <paramref name="firstGoal"/> (none when null).</summary>
    public static Shortlist Shortlist(string clientId, DateTimeOffset at, Goal? firstGoal, params string[] therapistIds) => new(
        Id: Guid.NewGuid(),
        ClientId: clientId,
        Caller: "test-caller",
        CreatedAt: at,
        ModelVersion: RuleBasedScorer.VersionName,
        FeatureSchema: PairFeatures.SchemaVersion,
        Request: firstGoal is { } goal ? Request(clientId, goal, Goal.Sleep) : Request(clientId),
        ExcludedBy: Enum.GetValues<Constraint>().ToDictionary(c => c, c => (int)c),
        Considered: 40,
        Eligible: 12,
        Items: therapistIds.Select((id, i) => new ShortlistItem(
            Position: i + 1,
            TherapistId: id,
            Score: 0.5 - (0.1 * i),
            GoalsFit: 0.75,
            TasksFit: 0.5,
            BondFit: 0.625,
            Reasons: [$"reason {i + 1}"],
            Features: Enumerable.Range(0, PairFeatures.Count).Select(f => f / 16f).ToArray())).ToList());
}
