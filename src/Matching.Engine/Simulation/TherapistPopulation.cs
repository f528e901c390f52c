using System.Globalization;
using Matching.Engine.Domain;
using static Matching.Engine.Simulation.SimulationVocabulary;

namespace Matching.Engine.Simulation;

/// <summary>
/// Generates a directory of plausible therapists. Therapist <c>k</c> is drawn from its own random
/// stream, so a directory of 300 is the first 300 of a directory of 2,000 with the same seed.
/// </summary>
public static class TherapistPopulation
{
    /// <summary>Therapist profiles with ids <c>t-00001</c>, <c>t-00002</c>, ...</summary>
    /// <param name="count">Number of therapists.</param>
    /// <param name="seed">Seed; the same seed gives the same directory.</param>
    public static IReadOnlyList<TherapistProfile> Generate(int count, int seed) => Create(count, seed).Profiles;

    /// <summary>The id of the therapist at a 0-based index.</summary>
    public static string IdOf(int index) => string.Create(CultureInfo.InvariantCulture, $"t-{index + 1:D5}");

    internal static (TherapistProfile[] Profiles, TherapistLatent[] Latents) Create(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var profiles = new TherapistProfile[count];
        var latents = new TherapistLatent[count];
        for (var i = 0; i < count; i++)
        {
            (profiles[i], latents[i]) = CreateOne(i, seed);
        }

        return (profiles, latents);
    }

    private static (TherapistProfile, TherapistLatent) CreateOne(int index, int seed)
    {
        var rng = SimulationRandom.For(seed, Streams.Therapist, index);

        var gender = rng.NextDouble() switch { < 0.70 => Gender.Woman, < 0.97 => Gender.Man, _ => Gender.NonBinary };
        var ethnicity = Ethnicities[rng.PickWeighted(TherapistEthnicityWeights)];
        var immigrant = rng.Chance(ethnicity is null ? 0.05 : ethnicity == "black" ? 0.12 : 0.35);

        var home = rng.PickWeighted(RegionWeights);
        var regions = new List<string> { Regions[home].Code };
        if (rng.Chance(0.15))
        {
            var second = rng.PickWeighted(RegionWeights);
            if (second != home)
            {
                regions.Add(Regions[second].Code);
            }
        }

        // About 60% keep an office, nearly always in one city of the home region; most also offer video.
        var cities = new List<string>();
        var hasOffice = rng.Chance(0.60);
        if (hasOffice)
        {
            var homeCities = Regions[home].Cities;
            cities.Add(homeCities[rng.PickWeighted(CityWeights(homeCities.Length))]);
            if (rng.Chance(0.12))
            {
                var other = homeCities[rng.NextInt(homeCities.Length)];
                if (!cities.Contains(other))
                {
                    cities.Add(other);
                }
            }
        }

        var offersVideo = !hasOffice || rng.Chance(0.80);

        var languages = TherapistLanguages(rng, ethnicity, immigrant);

        var modalities = SampleWithoutReplacement(rng, ModalityPrevalence, rng.NextInt(2, 4)).Select(m => (Modality)m).ToList();
        var specialties = SampleWithoutReplacement(rng, SpecialtyPrevalence, rng.NextInt(2, 6)).Select(g => (Goal)g).ToList();
        if (modalities.Contains(Modality.Emdr) && !specialties.Contains(Goal.Trauma))
        {
            // EMDR is a trauma treatment; a therapist offering it lists trauma.
            specialties[^1] = Goal.Trauma;
        }

        var style = StyleFor(rng, modalities);

        var (lived, competencies, faith) = Culture(rng, ethnicity, immigrant);

        var insurance = new List<string>();
        if (!rng.Chance(0.15))
        {
            for (var p = 0; p < Payers.Length; p++)
            {
                if (rng.Chance(PayerAcceptance[p]))
                {
                    insurance.Add(Payers[p]);
                }
            }
        }

        var fee = Math.Clamp(Math.Round((150m + Regions[home].FeeUplift + (decimal)(35 * rng.NextGaussian())) / 5m) * 5m, 80m, 250m);

        var ages = AgeGroups.None;
        if (rng.Chance(0.95))
        {
            ages |= AgeGroups.Adults;
        }

        if (rng.Chance(0.30))
        {
            ages |= AgeGroups.Adolescents;
        }

        if (rng.Chance(0.14))
        {
            ages |= AgeGroups.Children;
        }

        if (rng.Chance(0.40))
        {
            ages |= AgeGroups.OlderAdults;
        }

        if (ages == AgeGroups.None)
        {
            ages = AgeGroups.Adults;
        }

        var availability = Availability.None;
        if (rng.Chance(0.85))
        {
            availability |= Availability.WeekdayDaytime;
        }

        if (rng.Chance(0.55))
        {
            availability |= Availability.WeekdayEvening;
        }

        if (rng.Chance(0.20))
        {
            availability |= Availability.Weekend;
        }

        if (availability == Availability.None)
        {
            availability = Availability.WeekdayDaytime;
        }

        var capacity = 1 + rng.PickWeighted([0.30, 0.35, 0.20, 0.15]);
        var accepting = rng.Chance(0.85);

        var first = gender switch
        {
            Gender.Woman => WomenFirstNames[rng.NextInt(WomenFirstNames.Length)],
            Gender.Man => MenFirstNames[rng.NextInt(MenFirstNames.Length)],
            _ => NeutralFirstNames[rng.NextInt(NeutralFirstNames.Length)],
        };
        var lastNames = LastNamesFor(rng.Chance(0.8) ? ethnicity : null);
        var last = lastNames[rng.NextInt(lastNames.Length)];
        var credential = Credentials[rng.PickWeighted(CredentialWeights)];

        var domainEffects = new double[GoalCount];
        for (var g = 0; g < domainEffects.Length; g++)
        {
            domainEffects[g] = Latent(rng.NextNormal(0, AllianceTruth.DomainEffectVariance));
        }

        var latent = new TherapistLatent(Latent(rng.NextNormal(0, AllianceTruth.TherapistVariance)), domainEffects);

        var profile = new TherapistProfile(
            Id: IdOf(index),
            DisplayName: $"{first} {last}, {credential}",
            LicensedRegions: regions,
            InPersonCities: cities,
            OffersVideo: offersVideo,
            Languages: languages,
            Modalities: modalities,
            Specialties: specialties,
            Style: style,
            CulturalCompetencies: competencies,
            LivedExperience: lived,
            Gender: gender,
            FaithTradition: faith,
            InsuranceAccepted: insurance,
            Fee: fee,
            AgeGroups: ages,
            Availability: availability,
            WeeklyNewClientCapacity: capacity,
            AcceptingNewClients: accepting);
        return (profile, latent);
    }

    /// <summary>
    /// Latent values are kept to six decimals: far below any effect that matters, and it halves
    /// the truth file while keeping its round trip exact.
    /// </summary>
    internal static double Latent(double value) => Math.Round(value, 6);

    /// <summary>The first city of a region is its largest and holds most offices.</summary>
    internal static double[] CityWeights(int count)
    {
        var w = new double[count];
        for (var i = 0; i < count; i++)
        {
            w[i] = 1.0 / (i + 1);
        }

        return w;
    }

    private static List<string> TherapistLanguages(SimulationRandom rng, string? ethnicity, bool immigrant)
    {
        var languages = new List<string>();
        // A few immigrant therapists work only in their first language.
        if (!(immigrant && rng.Chance(0.06)))
        {
            languages.Add("en");
        }

        void Maybe(string code, double p)
        {
            if (rng.Chance(p) && !languages.Contains(code))
            {
                languages.Add(code);
            }
        }

        switch (ethnicity)
        {
            case "latino":
                Maybe("es", immigrant ? 0.95 : 0.55);
                Maybe("pt", 0.04);
                break;
            case "east-asian":
                switch (rng.PickWeighted([0.50, 0.25, 0.25]))
                {
                    case 0: Maybe("zh", immigrant ? 0.9 : 0.35); break;
                    case 1: Maybe("vi", immigrant ? 0.9 : 0.35); break;
                    default: Maybe("ko", immigrant ? 0.9 : 0.35); break;
                }

                break;
            case "south-asian":
                Maybe("hi", immigrant ? 0.7 : 0.25);
                break;
            case "middle-eastern":
                Maybe(rng.Chance(0.75) ? "ar" : "fa", immigrant ? 0.85 : 0.4);
                break;
            case "black":
                Maybe(rng.Chance(0.5) ? "fr" : "ht", immigrant ? 0.6 : 0.02);
                break;
            default:
                break;
        }

        // Second languages learnt rather than grown up with.
        Maybe("es", 0.06);
        Maybe("fr", 0.02);
        Maybe("ru", immigrant ? 0.15 : 0.005);
        if (languages.Count == 0)
        {
            languages.Add("en");
        }

        return languages;
    }

    private static CommunicationStyle StyleFor(SimulationRandom rng, List<Modality> modalities)
    {
        double d = 0, s = 0;
        foreach (var m in modalities)
        {
            d += ModalityStyle[(int)m].Directiveness;
            s += ModalityStyle[(int)m].Structure;
        }

        d /= modalities.Count;
        s /= modalities.Count;
        var directiveness = Math.Clamp(d + 0.12 * rng.NextGaussian(), 0, 1);
        var structure = Math.Clamp(s + 0.12 * rng.NextGaussian(), 0, 1);
        var challenge = Math.Clamp(0.30 + 0.25 * directiveness + 0.15 * rng.NextGaussian(), 0, 1);
        return new CommunicationStyle(Math.Round(directiveness, 3), Math.Round(structure, 3), Math.Round(challenge, 3));
    }

    private static (List<string> Lived, List<string> Competencies, string? Faith) Culture(SimulationRandom rng, string? ethnicity, bool immigrant)
    {
        var lived = new List<string>();
        void Live(string tag, double p)
        {
            if (rng.Chance(p) && !lived.Contains(tag))
            {
                lived.Add(tag);
            }
        }

        if (ethnicity is not null)
        {
            Live(ethnicity, 0.80);
        }

        if (immigrant)
        {
            Live("immigrant", 0.70);
        }

        Live("lgbtq", 0.11);
        Live("veteran", 0.04);
        Live("disability", 0.05);

        string? faith = null;
        var faithRoll = rng.NextDouble();
        if (ethnicity == "middle-eastern" && faithRoll < 0.5)
        {
            Live("muslim", 0.8);
            faith = rng.Chance(0.4) ? "muslim" : null;
        }
        else if (faithRoll < 0.04)
        {
            Live("jewish", 0.8);
            faith = rng.Chance(0.25) ? "jewish" : null;
        }
        else if (faithRoll < 0.12)
        {
            faith = "christian";
        }

        // Competencies: every lived-experience tag, plus communities the therapist trained to work with.
        var competencies = new List<string>(lived);
        var extra = rng.NextInt(0, 2);
        for (var k = 0; k < extra; k++)
        {
            var tag = CultureTags[rng.PickWeighted([0.12, 0.18, 0.07, 0.05, 0.04, 0.04, 0.03, 0.25, 0.12, 0.06, 0.04])];
            if (!competencies.Contains(tag))
            {
                competencies.Add(tag);
            }
        }

        return (lived, competencies, faith);
    }

    /// <summary>Draws <paramref name="count"/> distinct indices with probability proportional to weight, in draw order.</summary>
    internal static List<int> SampleWithoutReplacement(SimulationRandom rng, double[] weights, int count)
    {
        var w = (double[])weights.Clone();
        var picked = new List<int>(count);
        for (var k = 0; k < count && k < w.Length; k++)
        {
            var i = rng.PickWeighted(w);
            picked.Add(i);
            w[i] = 0;
        }

        return picked;
    }
}
