using Matching.Engine.Domain;
using Matching.Engine.Matching;

namespace Matching.Engine.Tests.Matching;

/// <summary>
/// A baseline client and therapist that match on every hard constraint and state or publish
/// nothing beyond it; tests vary one thing with <c>with</c> so that the difference under test is
/// the only one.
/// </summary>
internal static class Build
{
    /// <summary>A video-and-office therapist in us-ny/nyc, English, adults, evenings, CBT for anxiety, mid-scale style.</summary>
    public static TherapistProfile Therapist(string id = "t-1") => new(
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

    /// <summary>An adult self-pay client in us-ny/nyc, English, anxiety first, no other preference, any time, any format.</summary>
    public static ClientPreferences Client(params Goal[] goals) => new(
        ClientId: "c-1",
        Goals: goals.Length > 0 ? goals : [Goal.Anxiety],
        Modalities: [],
        Style: new StylePreference(null, null, null),
        Languages: ["en"],
        Culture: null,
        Gender: null,
        Faith: null,
        Identity: null,
        Constraints: new HardConstraints(
            Region: "us-ny",
            Format: SessionFormat.Either,
            City: "nyc",
            Insurance: null,
            MaxFee: null,
            AgeGroup: AgeGroups.Adults,
            Availability: Availability.None));

    /// <summary>The client with its hard constraints changed.</summary>
    public static ClientPreferences With(this ClientPreferences client, Func<HardConstraints, HardConstraints> change) =>
        client with { Constraints = change(client.Constraints) };

    /// <summary>A candidate with full capacity left and no track record unless given.</summary>
    public static Candidate Candidate(TherapistProfile profile, int? capacityLeft = null, TrackRecord? track = null) =>
        new(profile, capacityLeft ?? profile.WeeklyNewClientCapacity, track ?? TrackRecord.None);

    /// <summary>The features of one pair, shrunk towards <paramref name="prior"/> (the fallback of a service with too few ratings unless given).</summary>
    public static float[] Features(ClientPreferences client, Candidate candidate, AlliancePrior? prior = null)
    {
        var row = new float[PairFeatures.Count];
        PairFeatures.Compute(client, candidate, prior ?? AlliancePrior.Fallback, row);
        return row;
    }

    /// <summary>The features of one pair with the baseline candidate wrapping <paramref name="therapist"/>.</summary>
    public static float[] Features(ClientPreferences client, TherapistProfile therapist) => Features(client, Candidate(therapist));
}
