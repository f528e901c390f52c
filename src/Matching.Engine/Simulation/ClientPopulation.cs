using System.Globalization;
using Matching.Engine.Domain;
using static Matching.Engine.Simulation.SimulationVocabulary;

namespace Matching.Engine.Simulation;

/// <summary>
/// Generates client requests and the latent traits behind them. Clients are pseudonymous
/// (<c>c-000001</c>) and never get a name. What a client states follows from the latent traits:
/// a reactant client asks for a less directive therapist, a client with limited English lists
/// their first language first, a client who wants a cultural match says so with importance.
/// </summary>
public static class ClientPopulation
{
    /// <summary>Share of clients whose first language is not English and who would do worse in English.</summary>
    public const double LimitedEnglishShare = 0.08;

    /// <summary>Client requests with ids <c>c-000001</c>, <c>c-000002</c>, ...</summary>
    /// <param name="count">Number of clients.</param>
    /// <param name="seed">Seed; the same seed gives the same clients.</param>
    public static IReadOnlyList<ClientPreferences> Generate(int count, int seed) => Create(count, seed).Clients;

    /// <summary>The id of the client at a 0-based index.</summary>
    public static string IdOf(int index) => string.Create(CultureInfo.InvariantCulture, $"c-{index + 1:D6}");

    internal static (ClientPreferences[] Clients, ClientLatent[] Latents) Create(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var clients = new ClientPreferences[count];
        var latents = new ClientLatent[count];
        for (var i = 0; i < count; i++)
        {
            (clients[i], latents[i]) = CreateOne(i, seed);
        }

        return (clients, latents);
    }

    private static (ClientPreferences, ClientLatent) CreateOne(int index, int seed)
    {
        var rng = SimulationRandom.For(seed, Streams.Client, index);
        var gamma = TherapistPopulation.Latent(rng.NextNormal(0, AllianceTruth.ClientVariance));
        var reactance = TherapistPopulation.Latent(rng.NextGaussian());
        var limitedEnglish = rng.Chance(LimitedEnglishShare);

        // Background: limited-English clients' follows their first language.
        string firstLanguage = "en";
        string? ethnicity;
        var immigrant = false;
        if (limitedEnglish)
        {
            immigrant = true;
            firstLanguage = rng.PickWeighted([0.55, 0.14, 0.09, 0.06, 0.06, 0.04, 0.03, 0.03]) switch
            {
                0 => "es",
                1 => "zh",
                2 => "vi",
                3 => "ko",
                4 => "ar",
                5 => "ru",
                6 => "ht",
                _ => "pt",
            };
            ethnicity = firstLanguage switch
            {
                "es" or "pt" => "latino",
                "zh" or "vi" or "ko" => "east-asian",
                "ar" => "middle-eastern",
                "ht" => "black",
                _ => null,
            };
        }
        else
        {
            ethnicity = Ethnicities[rng.PickWeighted(ClientEthnicityWeights)];
            immigrant = rng.Chance(ethnicity is null or "black" ? 0.04 : 0.25);
        }

        var languages = new List<string> { firstLanguage };
        if (limitedEnglish)
        {
            // Most accept English if nobody speaks their language; some will not.
            if (rng.Chance(0.65))
            {
                languages.Add("en");
            }
        }
        else if (ethnicity == "latino" && rng.Chance(0.25))
        {
            languages.Add("es");
        }

        var goals = TherapistPopulation.SampleWithoutReplacement(rng, GoalDemand, rng.PickWeighted([0.35, 0.40, 0.25]) + 1)
            .Select(g => (Goal)g).ToList();

        // About half state a modality preference.
        var modalities = new List<ModalityPreference>();
        if (rng.Chance(0.5))
        {
            var n = rng.Chance(0.7) ? 1 : 2;
            foreach (var m in TherapistPopulation.SampleWithoutReplacement(rng, ModalityDemand, n))
            {
                var strength = (PreferenceStrength)(1 + rng.PickWeighted([0.30, 0.45, 0.25]));
                modalities.Add(new ModalityPreference((Modality)m, strength));
            }
        }

        var style = StyleFor(rng, reactance);

        // Cultural match: only clients with a background can want it; 40% of them do, and some of
        // those who do not still list it with low importance.
        var backgrounds = new List<string>();
        if (ethnicity is not null)
        {
            backgrounds.Add(ethnicity);
        }

        if (immigrant)
        {
            backgrounds.Add("immigrant");
        }

        var wantsCulturalMatch = backgrounds.Count > 0 && rng.Chance(limitedEnglish ? 0.6 : 0.4);
        CulturalPreference? culture = null;
        if (wantsCulturalMatch)
        {
            culture = new CulturalPreference(backgrounds, rng.Chance(0.55) ? Importance.High : Importance.Medium);
        }
        else if (backgrounds.Count > 0 && rng.Chance(0.35))
        {
            culture = new CulturalPreference(backgrounds, Importance.Low);
        }

        GenderPreference? gender = null;
        if (rng.Chance(0.30))
        {
            IReadOnlyList<Gender> genders = rng.PickWeighted([0.72, 0.22, 0.06]) switch
            {
                0 => [Gender.Woman],
                1 => [Gender.Man],
                _ => [Gender.Woman, Gender.NonBinary],
            };
            gender = new GenderPreference(genders, (Importance)(1 + rng.PickWeighted([0.30, 0.45, 0.25])));
        }

        FaithPreference? faith = null;
        if (rng.Chance(ethnicity == "middle-eastern" ? 0.3 : 0.07))
        {
            var f = ethnicity == "middle-eastern" ? "muslim" : Faiths[rng.PickWeighted([0.75, 0.08, 0.17])];
            faith = new FaithPreference(f, rng.Chance(0.5) ? Importance.High : Importance.Medium);
        }

        IdentityPreference? identity = null;
        var identityRoll = rng.NextDouble();
        if (identityRoll < 0.08)
        {
            identity = new IdentityPreference(["lgbtq"], rng.Chance(0.5) ? Importance.High : Importance.Medium);
        }
        else if (identityRoll < 0.10)
        {
            identity = new IdentityPreference(["veteran"], Importance.Medium);
        }
        else if (identityRoll < 0.115)
        {
            identity = new IdentityPreference(["disability"], Importance.Medium);
        }

        var constraints = Constraints(rng);
        var client = new ClientPreferences(
            ClientId: IdOf(index),
            Goals: goals,
            Modalities: modalities,
            Style: style,
            Languages: languages,
            Culture: culture,
            Gender: gender,
            Faith: faith,
            Identity: identity,
            Constraints: constraints);
        return (client, new ClientLatent(gamma, reactance, limitedEnglish, wantsCulturalMatch));
    }

    private static StylePreference StyleFor(SimulationRandom rng, double reactance)
    {
        // A reactant client wants to lead; some clients have no view on an axis.
        double? directiveness = rng.Chance(0.75)
            ? Math.Round(Math.Clamp(0.5 - 0.22 * reactance + 0.10 * rng.NextGaussian(), 0, 1), 2)
            : null;
        double? structure = rng.Chance(0.60)
            ? Math.Round(Math.Clamp(0.5 - 0.12 * reactance + 0.18 * rng.NextGaussian(), 0, 1), 2)
            : null;
        double? challenge = rng.Chance(0.45)
            ? Math.Round(Math.Clamp(0.45 + 0.20 * rng.NextGaussian(), 0, 1), 2)
            : null;
        return new StylePreference(directiveness, structure, challenge);
    }

    private static HardConstraints Constraints(SimulationRandom rng)
    {
        var region = Regions[rng.PickWeighted(RegionWeights)];
        var format = rng.PickWeighted([0.50, 0.15, 0.35]) switch
        {
            0 => SessionFormat.Either,
            1 => SessionFormat.InPerson,
            _ => SessionFormat.Video,
        };
        var city = region.Cities[rng.PickWeighted(TherapistPopulation.CityWeights(region.Cities.Length))];

        var age = rng.PickWeighted([0.86, 0.07, 0.05, 0.02]) switch
        {
            0 => AgeGroups.Adults,
            1 => AgeGroups.OlderAdults,
            2 => AgeGroups.Adolescents,
            _ => AgeGroups.Children,
        };

        string? insurance = null;
        decimal? maxFee = null;
        if (rng.Chance(0.60))
        {
            insurance = age == AgeGroups.OlderAdults && rng.Chance(0.7) ? "medicare" : Payers[rng.PickWeighted(PayerShare)];
        }
        else if (rng.Chance(0.5))
        {
            maxFee = rng.PickWeighted([0.15, 0.25, 0.30, 0.20, 0.10]) switch
            {
                0 => 100m,
                1 => 130m,
                2 => 160m,
                3 => 200m,
                _ => 250m,
            };
        }

        var availability = rng.PickWeighted([0.50, 0.12, 0.25, 0.08, 0.05]) switch
        {
            0 => Availability.None,
            1 => Availability.WeekdayDaytime,
            2 => Availability.WeekdayEvening,
            3 => Availability.Weekend,
            _ => Availability.WeekdayEvening | Availability.Weekend,
        };

        return new HardConstraints(region.Code, format, city, insurance, maxFee, age, availability);
    }
}
