using Matching.Api.Infrastructure;
using Matching.Engine.Domain;

namespace Matching.Api.Therapists;

/// <summary>Communication style, each axis 0-1.</summary>
public sealed record StyleRequest(double? Directiveness, double? Structure, double? Challenge);

/// <summary>A therapist's listing as sent to PUT /v1/therapists/{id} or in a bulk import (with <see cref="Id"/>).</summary>
public sealed record TherapistRequest(
    string? Id,
    string? DisplayName,
    List<string>? LicensedRegions,
    List<string>? InPersonCities,
    bool? OffersVideo,
    List<string>? Languages,
    List<Modality>? Modalities,
    List<Goal>? Specialties,
    StyleRequest? Style,
    List<string>? CulturalCompetencies,
    List<string>? LivedExperience,
    Gender? Gender,
    string? FaithTradition,
    List<string>? InsuranceAccepted,
    decimal? Fee,
    AgeGroups? AgeGroups,
    Availability? Availability,
    int? WeeklyNewClientCapacity,
    bool? AcceptingNewClients)
{
    /// <summary>Validates into a profile with id <paramref name="id"/>; errors are prefixed with <paramref name="prefix"/> (e.g. <c>therapists[3].</c>).</summary>
    public TherapistProfile? ToProfile(string? id, RequestErrors errors, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        string F(string name) => prefix + name;
        if (errors.Required(F("id"), id))
        {
            errors.Tag(F("id"), id);
        }

        if (errors.Required(F("displayName"), DisplayName) && (DisplayName!.Length > 120 || DisplayName.Any(char.IsControl)))
        {
            errors.Add(F("displayName"), $"{F("displayName")} must be at most 120 printable characters.");
        }

        errors.List(F("licensedRegions"), LicensedRegions, 1, 20, errors.Tag);
        errors.List(F("inPersonCities"), InPersonCities, 0, 20, errors.Tag);
        errors.Required(F("offersVideo"), OffersVideo);
        if (OffersVideo == false && InPersonCities is { Count: 0 } or null)
        {
            errors.Add(F("inPersonCities"), $"{F("inPersonCities")} is required when the therapist offers no video sessions.");
        }

        errors.List(F("languages"), Languages, 1, 10, (f, l) =>
        {
            if (!Vocabulary.IsValidLanguage(l))
            {
                errors.Add(f, $"{f} must be an ISO 639-1 code of two lower-case letters, e.g. 'en'.");
            }
        });
        errors.List(F("modalities"), Modalities, 1, 13);
        errors.List(F("specialties"), Specialties, 1, 16);
        if (errors.Required(F("style"), Style))
        {
            foreach (var (axis, value) in new[] { ("directiveness", Style!.Directiveness), ("structure", Style.Structure), ("challenge", Style.Challenge) })
            {
                if (errors.Required(F($"style.{axis}"), value))
                {
                    errors.Range(F($"style.{axis}"), value, 0, 1);
                }
            }
        }

        errors.List(F("culturalCompetencies"), CulturalCompetencies, 0, 20, errors.Tag);
        errors.List(F("livedExperience"), LivedExperience, 0, 20, errors.Tag);
        errors.Required(F("gender"), Gender);
        errors.Tag(F("faithTradition"), FaithTradition);
        errors.List(F("insuranceAccepted"), InsuranceAccepted, 0, 50, errors.Tag);
        if (errors.Required(F("fee"), Fee))
        {
            errors.Range(F("fee"), (double)Fee!.Value, 0, 10_000);
        }

        if (errors.Required(F("ageGroups"), AgeGroups) && AgeGroups == Engine.Domain.AgeGroups.None)
        {
            errors.Add(F("ageGroups"), $"{F("ageGroups")} must name at least one age group.");
        }

        if (errors.Required(F("availability"), Availability) && Availability == Engine.Domain.Availability.None)
        {
            errors.Add(F("availability"), $"{F("availability")} must name at least one time of the week.");
        }

        if (errors.Required(F("weeklyNewClientCapacity"), WeeklyNewClientCapacity))
        {
            errors.Range(F("weeklyNewClientCapacity"), WeeklyNewClientCapacity, 0, 50);
        }

        errors.Required(F("acceptingNewClients"), AcceptingNewClients);
        if (errors.Count != before)
        {
            return null;
        }

        return new TherapistProfile(
            id!, DisplayName!.Trim(), LicensedRegions!, InPersonCities ?? [], OffersVideo!.Value, Languages!, Modalities!, Specialties!,
            new CommunicationStyle(Style!.Directiveness!.Value, Style.Structure!.Value, Style.Challenge!.Value),
            CulturalCompetencies ?? [], LivedExperience ?? [], Gender!.Value, FaithTradition, InsuranceAccepted ?? [], Fee!.Value,
            AgeGroups!.Value, Availability!.Value, WeeklyNewClientCapacity!.Value, AcceptingNewClients!.Value);
    }
}

/// <summary>A bulk import: every therapist is validated first, then all are stored in one transaction or none.</summary>
public sealed record TherapistImportRequest(List<TherapistRequest>? Therapists)
{
    /// <summary>Most therapists in one import.</summary>
    public const int MaxTherapists = 5_000;
}
