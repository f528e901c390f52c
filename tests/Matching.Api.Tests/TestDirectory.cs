using Matching.Engine.Domain;

namespace Matching.Api.Tests;

/// <summary>A small directory where each therapist is there to exercise one rule.</summary>
public static class TestDirectory
{
    /// <summary>New York, video and a Brooklyn office, CBT and ACT, panic and anxiety, structured and directive.</summary>
    public static TherapistProfile CbtNy { get; } = Profile("t-cbt-ny") with
    {
        InPersonCities = ["brooklyn"],
        Modalities = [Modality.Cbt, Modality.Act],
        Specialties = [Goal.Panic, Goal.Anxiety],
        Style = new CommunicationStyle(0.8, 0.8, 0.6),
        InsuranceAccepted = ["aetna"],
        WeeklyNewClientCapacity = 2,
    };

    /// <summary>New York, video only, English and Spanish, EMDR and person-centred, trauma and depression, non-directive.</summary>
    public static TherapistProfile EmdrNy { get; } = Profile("t-emdr-ny") with
    {
        Languages = ["en", "es"],
        Modalities = [Modality.Emdr, Modality.PersonCentred],
        Specialties = [Goal.Trauma, Goal.Depression],
        Style = new CommunicationStyle(0.2, 0.3, 0.3),
        Gender = Gender.Man,
        InsuranceAccepted = ["bcbs"],
        Fee = 120,
        CulturalCompetencies = ["latino"],
    };

    /// <summary>New York, Manhattan office only (no video), psychodynamic.</summary>
    public static TherapistProfile PsyNy { get; } = Profile("t-psy-ny") with
    {
        OffersVideo = false,
        InPersonCities = ["manhattan"],
        Modalities = [Modality.Psychodynamic],
        Specialties = [Goal.Depression, Goal.Relationships],
        Fee = 220,
    };

    /// <summary>California only.</summary>
    public static TherapistProfile CbtCa { get; } = Profile("t-cbt-ca") with { LicensedRegions = ["us-ca"] };

    /// <summary>Not accepting new clients.</summary>
    public static TherapistProfile FullNy { get; } = Profile("t-full-ny") with { AcceptingNewClients = false };

    /// <summary>Children only.</summary>
    public static TherapistProfile KidsNy { get; } = Profile("t-kids-ny") with { AgeGroups = AgeGroups.Children };

    /// <summary>Spanish only.</summary>
    public static TherapistProfile SpanishNy { get; } = Profile("t-es-ny") with { Languages = ["es"] };

    /// <summary>Everyone.</summary>
    public static IReadOnlyList<TherapistProfile> All { get; } = [CbtNy, EmdrNy, PsyNy, CbtCa, FullNy, KidsNy, SpanishNy];

    /// <summary>A plain New York video therapist offering CBT for panic.</summary>
    public static TherapistProfile Profile(string id) => new(
        Id: id,
        DisplayName: $"Dr {id}",
        LicensedRegions: ["us-ny"],
        InPersonCities: [],
        OffersVideo: true,
        Languages: ["en"],
        Modalities: [Modality.Cbt],
        Specialties: [Goal.Panic],
        Style: new CommunicationStyle(0.5, 0.5, 0.5),
        CulturalCompetencies: [],
        LivedExperience: [],
        Gender: Gender.Woman,
        FaithTradition: null,
        InsuranceAccepted: [],
        Fee: 150,
        AgeGroups: AgeGroups.Adults | AgeGroups.OlderAdults,
        Availability: Availability.WeekdayDaytime | Availability.WeekdayEvening,
        WeeklyNewClientCapacity: 3,
        AcceptingNewClients: true);

    /// <summary>A New York adult wanting video help with panic, in English, with a strong CBT preference.</summary>
    public static Dictionary<string, object?> Request(string clientId) => new()
    {
        ["clientId"] = clientId,
        ["goals"] = new[] { "panic" },
        ["modalities"] = new[] { new { modality = "cbt", strength = "strong" } },
        ["style"] = new { directiveness = 0.8 },
        ["languages"] = new[] { "en" },
        ["constraints"] = new { region = "us-ny", format = "video", ageGroup = "adults" },
    };
}
