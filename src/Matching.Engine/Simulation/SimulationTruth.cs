using System.Text.Json;
using System.Text.Json.Serialization;
using Matching.Engine.Domain;
using static Matching.Engine.Simulation.SimulationVocabulary;

namespace Matching.Engine.Simulation;

/// <summary>
/// The truth file: everything an evaluator in another process needs to recompute the latent
/// alliance of any client-therapist pair of a simulated world: the seed (which keys the dyad
/// terms), the options, the centring moments, and per therapist and client only what the model
/// uses (latent effects and the few attributes the match terms read). About 150 bytes a client.
/// </summary>
public static class SimulationTruth
{
    /// <summary>Version of the file format.</summary>
    public const int FormatVersion = 1;

    /// <summary>Writes the truth of a world as UTF-8 JSON.</summary>
    /// <param name="stream">Destination; left open.</param>
    /// <param name="truth">The truth to write.</param>
    public static void Write(Stream stream, AllianceTruth truth)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(truth);
        var file = new TruthFile(
            FormatVersion,
            truth.Seed,
            truth.Options is { } o ? new OptionsDto(o.Therapists, o.Clients, o.Weeks, o.ShortlistSize, o.RematchProbability, o.NoChoiceProbability, o.Epoch) : null,
            truth.PolicyName,
            truth.Moments,
            [.. ToDtos(truth.Therapists)],
            [.. ToDtos(truth.Clients)]);
        JsonSerializer.Serialize(stream, file, TruthJsonContext.Default.TruthFile);
    }

    /// <summary>Reads a truth file written by <see cref="Write"/>.</summary>
    /// <param name="stream">Source; left open.</param>
    /// <exception cref="InvalidDataException">Not a truth file, or a version this code does not read.</exception>
    public static AllianceTruth Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        TruthFile? file;
        try
        {
            file = JsonSerializer.Deserialize(stream, TruthJsonContext.Default.TruthFile);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("Not a simulation truth file.", e);
        }

        if (file is null || file.Version != FormatVersion)
        {
            throw new InvalidDataException($"Expected a simulation truth file of version {FormatVersion}.");
        }

        var therapists = file.Therapists.Select(t => new TruthTherapist(
            t.Id,
            t.Tau,
            t.DomainEffects.Length == GoalCount ? t.DomainEffects : throw new InvalidDataException($"Therapist {t.Id} needs {GoalCount} domain effects."),
            Mask(t.Specialties),
            Mask(t.Modalities),
            t.Directiveness,
            TruthTherapist.CultureMask(t.LivedExperience),
            TruthTherapist.CultureMask(t.CulturalCompetencies),
            TruthTherapist.LanguageMask(t.Languages))).ToArray();
        var clients = file.Clients.Select(c => new TruthClient(
            c.Id,
            c.Gamma,
            c.Reactance,
            c.LimitedEnglish,
            c.WantsCulturalMatch,
            c.Goals,
            c.Modalities,
            c.Strengths.Length == c.Modalities.Length ? c.Strengths : throw new InvalidDataException($"Client {c.Id} needs one strength per modality."),
            c.FirstLanguage is null ? -1 : LanguageIndex(c.FirstLanguage),
            TruthTherapist.CultureMask(c.Backgrounds))).ToArray();

        SimulationOptions? options = file.Options is { } o
            ? new SimulationOptions
            {
                Therapists = o.Therapists,
                Clients = o.Clients,
                Seed = file.Seed,
                Weeks = o.Weeks,
                ShortlistSize = o.ShortlistSize,
                RematchProbability = o.RematchProbability,
                NoChoiceProbability = o.NoChoiceProbability,
                Epoch = o.Epoch,
            }
            : null;
        return new AllianceTruth(file.Seed, therapists, clients, file.Moments) { Options = options, PolicyName = file.Policy };
    }

    private static IEnumerable<TherapistDto> ToDtos(ReadOnlySpan<TruthTherapist> therapists)
    {
        var list = new List<TherapistDto>(therapists.Length);
        foreach (var t in therapists)
        {
            list.Add(new TherapistDto(
                t.Id,
                t.Tau,
                t.DomainEffects,
                Members<Goal>(t.Specialties),
                Members<Modality>(t.Modalities),
                t.Directiveness,
                Tags(t.Lived, CultureTags),
                Tags(t.Competent, CultureTags),
                Tags(t.Languages, Languages)));
        }

        return list;
    }

    private static IEnumerable<ClientDto> ToDtos(ReadOnlySpan<TruthClient> clients)
    {
        var list = new List<ClientDto>(clients.Length);
        foreach (var c in clients)
        {
            list.Add(new ClientDto(
                c.Id,
                c.Gamma,
                c.Reactance,
                c.LimitedEnglish,
                c.WantsCulturalMatch,
                c.Goals,
                c.PreferredModalities,
                c.PreferredStrengths,
                c.FirstLanguage < 0 ? null : Languages[c.FirstLanguage],
                Tags(c.Backgrounds, CultureTags)));
        }

        return list;
    }

    private static TEnum[] Members<TEnum>(int mask)
        where TEnum : struct, Enum =>
        [.. Enum.GetValues<TEnum>().Where(v => (mask & (1 << Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture))) != 0)];

    private static int Mask<TEnum>(TEnum[] values)
        where TEnum : struct, Enum
    {
        var mask = 0;
        foreach (var v in values)
        {
            mask |= 1 << Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture);
        }

        return mask;
    }

    private static string[] Tags(int mask, string[] vocabulary) =>
        [.. vocabulary.Where((_, i) => (mask & (1 << i)) != 0)];
}

internal sealed record TruthFile(
    int Version,
    int Seed,
    OptionsDto? Options,
    string? Policy,
    TruthMoments Moments,
    TherapistDto[] Therapists,
    ClientDto[] Clients);

internal sealed record OptionsDto(
    int Therapists,
    int Clients,
    int Weeks,
    int ShortlistSize,
    double RematchProbability,
    double NoChoiceProbability,
    DateTimeOffset Epoch);

internal sealed record TherapistDto(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("tau")] double Tau,
    [property: JsonPropertyName("domain")] double[] DomainEffects,
    [property: JsonPropertyName("spec")] Goal[] Specialties,
    [property: JsonPropertyName("mod")] Modality[] Modalities,
    [property: JsonPropertyName("dir")] double Directiveness,
    [property: JsonPropertyName("lived")] string[] LivedExperience,
    [property: JsonPropertyName("comp")] string[] CulturalCompetencies,
    [property: JsonPropertyName("lang")] string[] Languages);

internal sealed record ClientDto(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("gamma")] double Gamma,
    [property: JsonPropertyName("react")] double Reactance,
    [property: JsonPropertyName("le")] bool LimitedEnglish,
    [property: JsonPropertyName("wcm")] bool WantsCulturalMatch,
    [property: JsonPropertyName("goals")] Goal[] Goals,
    [property: JsonPropertyName("mod")] Modality[] Modalities,
    [property: JsonPropertyName("str")] int[] Strengths,
    [property: JsonPropertyName("lang")] string? FirstLanguage,
    [property: JsonPropertyName("bg")] string[] Backgrounds);

/// <summary>Source-generated serialisation: enums by name, as everywhere in the domain.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TruthFile))]
internal sealed partial class TruthJsonContext : JsonSerializerContext;
