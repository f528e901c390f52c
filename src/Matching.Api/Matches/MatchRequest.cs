using Matching.Api.Infrastructure;
using Matching.Engine.Domain;

namespace Matching.Api.Matches;

/// <summary>A modality the client prefers.</summary>
public sealed record ModalityPreferenceRequest(Modality? Modality, PreferenceStrength? Strength);

/// <summary>Preferred communication style; each axis 0-1 or omitted.</summary>
public sealed record StylePreferenceRequest(double? Directiveness, double? Structure, double? Challenge);

/// <summary>Cultural background as the client states it (tags) and how much a match matters.</summary>
public sealed record CulturalPreferenceRequest(List<string>? Backgrounds, Importance? Importance);

/// <summary>Preferred therapist genders and how much it matters.</summary>
public sealed record GenderPreferenceRequest(List<Gender>? Genders, Importance? Importance);

/// <summary>Faith-informed practice wanted and how much it matters.</summary>
public sealed record FaithPreferenceRequest(string? Faith, Importance? Importance);

/// <summary>Identity tags wanted and how much it matters.</summary>
public sealed record IdentityPreferenceRequest(List<string>? Identities, Importance? Importance);

/// <summary>Hard constraints.</summary>
public sealed record ConstraintsRequest(
    string? Region,
    SessionFormat? Format,
    string? City,
    string? Insurance,
    decimal? MaxFee,
    AgeGroups? AgeGroup,
    Availability? Availability);

/// <summary>A match request: a client's preferences and hard constraints, and the shortlist length.</summary>
public sealed record MatchRequest(
    string? ClientId,
    List<Goal>? Goals,
    List<ModalityPreferenceRequest>? Modalities,
    StylePreferenceRequest? Style,
    List<string>? Languages,
    CulturalPreferenceRequest? Culture,
    GenderPreferenceRequest? Gender,
    FaithPreferenceRequest? Faith,
    IdentityPreferenceRequest? Identity,
    ConstraintsRequest? Constraints,
    int? Limit)
{
    /// <summary>Default shortlist length.</summary>
    public const int DefaultLimit = 10;

    /// <summary>Longest shortlist.</summary>
    public const int MaxLimit = 50;

    /// <summary>Most goals a request may list.</summary>
    public const int MaxGoals = 5;

    /// <summary>Most modality preferences a request may list.</summary>
    public const int MaxModalities = 5;

    /// <summary>Most languages a request may list.</summary>
    public const int MaxLanguages = 5;

    /// <summary>Most tags in one list (cultural backgrounds, identities).</summary>
    public const int MaxTags = 10;

    /// <summary>Validates and converts to the domain; null with <paramref name="errors"/> filled when invalid.</summary>
    public ClientPreferences? ToPreferences(RequestErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        errors.PseudonymousId("clientId", ClientId);
        errors.List("goals", Goals, 1, MaxGoals);
        errors.List("modalities", Modalities, 0, MaxModalities, (f, m) =>
        {
            errors.Required($"{f}.modality", m.Modality);
            errors.Required($"{f}.strength", m.Strength);
        });
        if (Modalities is { } mods && mods.Where(m => m?.Modality is not null).GroupBy(m => m.Modality).Any(g => g.Count() > 1))
        {
            errors.Add("modalities", "modalities must not name a modality twice.");
        }

        errors.Range("style.directiveness", Style?.Directiveness, 0, 1);
        errors.Range("style.structure", Style?.Structure, 0, 1);
        errors.Range("style.challenge", Style?.Challenge, 0, 1);
        errors.List("languages", Languages, 1, MaxLanguages, (f, l) =>
        {
            if (!Vocabulary.IsValidLanguage(l))
            {
                errors.Add(f, $"{f} must be an ISO 639-1 code of two lower-case letters, e.g. 'en'.");
            }
        });
        if (Culture is not null)
        {
            errors.Required("culture.importance", Culture.Importance);
            errors.List("culture.backgrounds", Culture.Backgrounds, Culture.Importance is null or Importance.None ? 0 : 1, MaxTags, errors.Tag);
        }

        if (Gender is not null)
        {
            errors.Required("gender.importance", Gender.Importance);
            errors.List("gender.genders", Gender.Genders, 1, 3);
        }

        if (Faith is not null)
        {
            errors.Required("faith.importance", Faith.Importance);
            if (errors.Required("faith.faith", Faith.Faith))
            {
                errors.Tag("faith.faith", Faith.Faith);
            }
        }

        if (Identity is not null)
        {
            errors.Required("identity.importance", Identity.Importance);
            errors.List("identity.identities", Identity.Identities, 1, MaxTags, errors.Tag);
        }

        if (errors.Required("constraints", Constraints))
        {
            var c = Constraints!;
            if (errors.Required("constraints.region", c.Region))
            {
                errors.Tag("constraints.region", c.Region);
            }

            errors.Tag("constraints.city", c.City);
            if (c.Format == SessionFormat.InPerson && c.City is null)
            {
                errors.Add("constraints.city", "constraints.city is required for in-person sessions.");
            }

            errors.Tag("constraints.insurance", c.Insurance);
            errors.Range("constraints.maxFee", (double?)c.MaxFee, 0, 10_000);
            if (errors.Required("constraints.ageGroup", c.AgeGroup) && (c.AgeGroup == AgeGroups.None || !Enum.IsDefined(c.AgeGroup!.Value)))
            {
                errors.Add("constraints.ageGroup", "constraints.ageGroup must be exactly one age group.");
            }
        }

        if (Limit is { } limit && (limit < 1 || limit > MaxLimit))
        {
            errors.Add("limit", $"limit must be between 1 and {MaxLimit}.");
        }

        if (!errors.IsValid)
        {
            return null;
        }

        var k = Constraints!;
        return new ClientPreferences(
            ClientId!,
            Goals!,
            Modalities?.Select(m => new ModalityPreference(m.Modality!.Value, m.Strength!.Value)).ToList() ?? [],
            new StylePreference(Style?.Directiveness, Style?.Structure, Style?.Challenge),
            Languages!,
            Culture is null ? null : new CulturalPreference(Culture.Backgrounds ?? [], Culture.Importance!.Value),
            Gender is null ? null : new GenderPreference(Gender.Genders!, Gender.Importance!.Value),
            Faith is null ? null : new FaithPreference(Faith.Faith!, Faith.Importance!.Value),
            Identity is null ? null : new IdentityPreference(Identity.Identities!, Identity.Importance!.Value),
            new HardConstraints(k.Region!, k.Format ?? SessionFormat.Either, k.City, k.Insurance, k.MaxFee, k.AgeGroup!.Value, k.Availability ?? Availability.None));
    }
}
