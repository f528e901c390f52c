using Matching.Engine.Domain;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Simulation;

[TestFixture]
public sealed class TherapistPopulationTests
{
    private IReadOnlyList<TherapistProfile> _directory = null!;

    [OneTimeSetUp]
    public void Generate() => _directory = TherapistPopulation.Generate(2_000, 11);

    [Test]
    public void Profiles_are_valid_and_within_the_stated_ranges()
    {
        Assert.That(_directory.Select(t => t.Id), Is.Unique);
        Assert.That(_directory[0].Id, Is.EqualTo("t-00001"));
        Assert.That(_directory.All(t => t.Modalities.Count is >= 2 and <= 4 && t.Modalities.Distinct().Count() == t.Modalities.Count), Is.True);
        Assert.That(_directory.All(t => t.Specialties.Count is >= 2 and <= 6 && t.Specialties.Distinct().Count() == t.Specialties.Count), Is.True);
        Assert.That(_directory.All(t => t.Fee is >= 80m and <= 250m), Is.True);
        Assert.That(_directory.All(t => t.WeeklyNewClientCapacity is >= 1 and <= 4), Is.True);
        Assert.That(_directory.All(t => t.OffersVideo || t.InPersonCities.Count > 0), Is.True);
        Assert.That(_directory.All(t => t.Languages.Count > 0 && t.Languages.All(Vocabulary.IsValidLanguage)), Is.True);
        Assert.That(_directory.SelectMany(t => t.LicensedRegions.Concat(t.InPersonCities).Concat(t.CulturalCompetencies).Concat(t.LivedExperience).Concat(t.InsuranceAccepted)).All(Vocabulary.IsValidTag), Is.True);
        Assert.That(_directory.All(t => t.Style.Directiveness is >= 0 and <= 1 && t.Style.Structure is >= 0 and <= 1 && t.Style.Challenge is >= 0 and <= 1), Is.True);
        Assert.That(_directory.All(t => t.AgeGroups != AgeGroups.None && t.Availability != Availability.None), Is.True);
    }

    [Test]
    public void Shares_look_like_a_real_directory()
    {
        double Share(Func<TherapistProfile, bool> f) => _directory.Count(f) / (double)_directory.Count;
        var video = Share(t => t.OffersVideo);
        var office = Share(t => t.InPersonCities.Count > 0);
        var english = Share(t => t.Languages.Contains("en"));
        var spanish = Share(t => t.Languages.Contains("es"));
        var accepting = Share(t => t.AcceptingNewClients);
        var cbt = Share(t => t.Modalities.Contains(Modality.Cbt));
        var faith = Share(t => t.FaithTradition is not null);
        var regions = _directory.SelectMany(t => t.LicensedRegions).Distinct().Count();
        TestContext.Out.WriteLine($"video {video:P0}, office {office:P0}, en {english:P0}, es {spanish:P0}, accepting {accepting:P0}, CBT {cbt:P0}, faith-informed {faith:P0}, regions {regions}");

        Assert.That(video, Is.InRange(0.80, 0.95));
        Assert.That(office, Is.EqualTo(0.60).Within(0.05));
        Assert.That(english, Is.GreaterThan(0.95));
        Assert.That(spanish, Is.InRange(0.08, 0.25));
        Assert.That(accepting, Is.EqualTo(0.85).Within(0.04));
        Assert.That(cbt, Is.GreaterThan(0.5));
        Assert.That(regions, Is.GreaterThanOrEqualTo(6));
        Assert.That(new[] { "zh", "vi", "ar", "ko", "fr" }.All(l => _directory.Any(t => t.Languages.Contains(l))), Is.True);
    }

    [Test]
    public void Cbt_and_dbt_therapists_are_more_directive_than_psychodynamic_and_person_centred_ones()
    {
        double MeanDirectiveness(params Modality[] ms) =>
            _directory.Where(t => t.Modalities.Any(ms.Contains)).Average(t => t.Style.Directiveness);
        var directive = MeanDirectiveness(Modality.Cbt, Modality.Dbt);
        var following = MeanDirectiveness(Modality.Psychodynamic, Modality.PersonCentred);
        TestContext.Out.WriteLine($"mean directiveness: CBT/DBT {directive:F2}, psychodynamic/person-centred {following:F2}");

        Assert.That(directive - following, Is.GreaterThan(0.1));
    }

    [Test]
    public void A_smaller_directory_is_a_prefix_of_a_larger_one_with_the_same_seed()
    {
        var small = TherapistPopulation.Generate(50, 11);

        Assert.That(small, Is.EqualTo(_directory.Take(50)).Using<TherapistProfile>((a, b) => a.Id == b.Id && a.DisplayName == b.DisplayName && a.Fee == b.Fee));
    }

    [Test]
    public void Display_names_are_professional_names()
    {
        Assert.That(_directory.All(t => t.DisplayName.Contains(", ", StringComparison.Ordinal) && t.DisplayName.Split(' ').Length == 3), Is.True);
        Assert.That(_directory.Select(t => t.DisplayName).Distinct().Count(), Is.GreaterThan(500));
    }
}
