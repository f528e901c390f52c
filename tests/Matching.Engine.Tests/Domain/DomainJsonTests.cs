using System.Text.Json;
using System.Text.Json.Nodes;
using Matching.Engine.Domain;
using Matching.Engine.Matching;

namespace Matching.Engine.Tests.Domain;

public class DomainJsonTests
{
    private static readonly ClientPreferences FullClient = new(
        ClientId: "c-42",
        Goals: [Goal.Trauma, Goal.Sleep, Goal.WorkStress],
        Modalities: [new ModalityPreference(Modality.Emdr, PreferenceStrength.Strong), new ModalityPreference(Modality.PersonCentred, PreferenceStrength.Slight)],
        Style: new StylePreference(Directiveness: 0.25, Structure: null, Challenge: 0.75),
        Languages: ["es", "en"],
        Culture: new CulturalPreference(["latin-american"], Importance.High),
        Gender: new GenderPreference([Gender.Woman, Gender.NonBinary], Importance.Medium),
        Faith: new FaithPreference("catholic", Importance.Low),
        Identity: new IdentityPreference(["lgbtq"], Importance.None),
        Constraints: new HardConstraints(
            Region: "us-ny",
            Format: SessionFormat.InPerson,
            City: "nyc",
            Insurance: null,
            MaxFee: 120.50m,
            AgeGroup: AgeGroups.Adults,
            Availability: Availability.WeekdayEvening | Availability.Weekend));

    private static readonly TherapistProfile FullTherapist = new(
        Id: "t-7",
        DisplayName: "Dr. Ana Ruiz",
        LicensedRegions: ["us-ny", "us-nj"],
        InPersonCities: ["nyc"],
        OffersVideo: true,
        Languages: ["es", "en"],
        Modalities: [Modality.Emdr, Modality.Cbt, Modality.CompassionFocused],
        Specialties: [Goal.Trauma, Goal.Anxiety],
        Style: new CommunicationStyle(0.2, 0.6, 0.9),
        CulturalCompetencies: ["latin-american"],
        LivedExperience: ["immigrant"],
        Gender: Gender.NonBinary,
        FaithTradition: "catholic",
        InsuranceAccepted: ["aetna", "cigna"],
        Fee: 149.99m,
        AgeGroups: AgeGroups.Adolescents | AgeGroups.Adults,
        Availability: Availability.WeekdayDaytime | Availability.Weekend,
        WeeklyNewClientCapacity: 3,
        AcceptingNewClients: true);

    [Test]
    public void ClientPreferences_round_trip()
    {
        var json = JsonSerializer.Serialize(FullClient, DomainJson.Options);

        var back = JsonSerializer.Deserialize<ClientPreferences>(json, DomainJson.Options);

        Assert.That(back, Is.EqualTo(FullClient).UsingPropertiesComparer());
        Assert.That(JsonSerializer.Serialize(back, DomainJson.Options), Is.EqualTo(json));
    }

    [Test]
    public void TherapistProfile_round_trip()
    {
        var json = JsonSerializer.Serialize(FullTherapist, DomainJson.Options);

        var back = JsonSerializer.Deserialize<TherapistProfile>(json, DomainJson.Options);

        Assert.That(back, Is.EqualTo(FullTherapist).UsingPropertiesComparer());
        Assert.That(JsonSerializer.Serialize(back, DomainJson.Options), Is.EqualTo(json));
    }

    [Test]
    public void Names_and_enums_are_camelCase()
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(FullTherapist, DomainJson.Options))!.AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(json.Select(p => p.Key), Does.Contain("weeklyNewClientCapacity").And.Contain("inPersonCities").And.Not.Contain("Id"));
            Assert.That(json["gender"]!.GetValue<string>(), Is.EqualTo("nonBinary"));
            Assert.That(json["modalities"]!.AsArray().Select(m => m!.GetValue<string>()), Is.EqualTo(new[] { "emdr", "cbt", "compassionFocused" }));
            Assert.That(json["fee"]!.GetValue<decimal>(), Is.EqualTo(149.99m));
        });
    }

    [Test]
    public void Flags_are_written_as_arrays_of_names()
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(FullTherapist, DomainJson.Options))!;

        Assert.Multiple(() =>
        {
            Assert.That(json["ageGroups"]!.ToJsonString(), Is.EqualTo("""["adolescents","adults"]"""));
            Assert.That(json["availability"]!.ToJsonString(), Is.EqualTo("""["weekdayDaytime","weekend"]"""));
        });
    }

    [TestCase(Availability.None, "[]")]
    [TestCase(Availability.Weekend, """["weekend"]""")]
    [TestCase(Availability.WeekdayDaytime | Availability.WeekdayEvening | Availability.Weekend, """["weekdayDaytime","weekdayEvening","weekend"]""")]
    public void Flags_round_trip(Availability value, string json)
    {
        Assert.Multiple(() =>
        {
            Assert.That(JsonSerializer.Serialize(value, DomainJson.Options), Is.EqualTo(json));
            Assert.That(JsonSerializer.Deserialize<Availability>(json, DomainJson.Options), Is.EqualTo(value));
        });
    }

    [Test]
    public void A_single_flag_may_be_given_as_a_string()
    {
        Assert.That(JsonSerializer.Deserialize<AgeGroups>("\"olderAdults\"", DomainJson.Options), Is.EqualTo(AgeGroups.OlderAdults));
    }

    [Test]
    public void Enum_names_are_read_case_insensitively()
    {
        Assert.That(JsonSerializer.Deserialize<Modality>("\"PersonCentred\"", DomainJson.Options), Is.EqualTo(Modality.PersonCentred));
    }

    [Test]
    public void An_unknown_enum_value_is_rejected_listing_the_allowed_values()
    {
        const string json = """{ "modality": "hypnosis", "strength": "strong" }""";

        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ModalityPreference>(json, DomainJson.Options));

        Assert.That(error!.Message, Does.StartWith("'hypnosis' is not one of: cbt, dbt, act, emdr, psychodynamic, personCentred,"));
        Assert.That(error.Message, Does.Contain("narrative"));
    }

    [Test]
    public void An_unknown_flag_in_an_array_is_rejected_listing_the_allowed_values_without_none()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<AgeGroups>("""["adults", "toddlers"]""", DomainJson.Options));

        Assert.That(error!.Message, Is.EqualTo("'toddlers' is not one of: children, adolescents, adults, olderAdults."));
    }

    [Test]
    public void None_is_not_accepted_as_a_flag_name()
    {
        Assert.That(() => JsonSerializer.Deserialize<Availability>("\"none\"", DomainJson.Options), Throws.TypeOf<JsonException>());
    }

    [Test]
    public void A_number_for_an_enum_is_rejected_listing_the_allowed_values()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<SessionFormat>("1", DomainJson.Options));

        Assert.That(error!.Message, Is.EqualTo("Expected one of: either, inPerson, video."));
    }

    [Test]
    public void A_long_unknown_value_is_truncated_in_the_error()
    {
        var value = new string('x', 200);

        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Gender>($"\"{value}\"", DomainJson.Options));

        Assert.That(error!.Message, Does.StartWith($"'{new string('x', 40)}…' is not one of: woman, man, nonBinary."));
    }

    [Test]
    public void Enum_dictionary_keys_are_camelCase_names()
    {
        var excluded = new Dictionary<Constraint, int> { [Constraint.AgeGroup] = 2, [Constraint.Fee] = 1 };

        var json = JsonSerializer.Serialize(excluded, DomainJson.Options);

        Assert.Multiple(() =>
        {
            Assert.That(json, Is.EqualTo("""{"ageGroup":2,"fee":1}"""));
            Assert.That(JsonSerializer.Deserialize<Dictionary<Constraint, int>>(json, DomainJson.Options), Is.EqualTo(excluded));
        });
    }

    [Test]
    public void AllowedNames_lists_json_names_and_leaves_out_the_zero_flag()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DomainJson.AllowedNames(typeof(Availability)), Is.EqualTo(new[] { "weekdayDaytime", "weekdayEvening", "weekend" }));
            Assert.That(DomainJson.AllowedNames(typeof(Importance)), Is.EqualTo(new[] { "none", "low", "medium", "high" }));
        });
    }

    [TestCase(Modality.PersonCentred, "personCentred")]
    [TestCase(Modality.Emdr, "emdr")]
    public void Name_is_the_json_name(Modality modality, string expected)
    {
        Assert.That(DomainJson.Name(modality), Is.EqualTo(expected));
    }

    [Test]
    public void Every_member_is_written_and_read_by_its_camelCase_name_as_a_value_and_as_a_key()
    {
        Assert.Multiple(() =>
        {
            foreach (var modality in Enum.GetValues<Modality>())
            {
                var name = JsonNamingPolicy.CamelCase.ConvertName(modality.ToString());
                Assert.That(JsonSerializer.Serialize(modality, DomainJson.Options), Is.EqualTo($"\"{name}\""));
                Assert.That(JsonSerializer.Deserialize<Modality>($"\"{name.ToUpperInvariant()}\"", DomainJson.Options), Is.EqualTo(modality));
                Assert.That(DomainJson.Name(modality), Is.EqualTo(name));
            }

            foreach (var constraint in Enum.GetValues<Constraint>())
            {
                var name = JsonNamingPolicy.CamelCase.ConvertName(constraint.ToString());
                var json = JsonSerializer.Serialize(new Dictionary<Constraint, int> { [constraint] = 1 }, DomainJson.Options);
                Assert.That(json, Is.EqualTo($"{{\"{name}\":1}}"));
                Assert.That(JsonSerializer.Deserialize<Dictionary<Constraint, int>>(json, DomainJson.Options)!.Keys, Is.EqualTo(new[] { constraint }));
            }
        });
    }

    [Test]
    public void An_escaped_name_and_an_undefined_value_keep_their_meaning()
    {
        Assert.Multiple(() =>
        {
            Assert.That(JsonSerializer.Deserialize<Modality>("\"\\u0063bt\"", DomainJson.Options), Is.EqualTo(Modality.Cbt));
            Assert.That(JsonSerializer.Serialize((Modality)99, DomainJson.Options), Is.EqualTo("\"99\""));
            Assert.That(JsonSerializer.Serialize(Availability.WeekdayDaytime | Availability.Weekend, DomainJson.Options),
                Is.EqualTo("""["weekdayDaytime","weekend"]"""));
        });
    }
}
