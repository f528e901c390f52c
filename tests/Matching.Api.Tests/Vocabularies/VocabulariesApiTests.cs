using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Matching.Api.Tests.Vocabularies;

/// <summary>The vocabularies the page builds its form from are exactly what validation accepts.</summary>
public sealed class VocabulariesApiTests : DirectoryFixture
{
    private JsonObject _vocabularies = null!;

    [OneTimeSetUp]
    public async Task ReadVocabulariesAsync()
    {
        var response = await DirectoryClient.GetAsync("/v1/vocabularies");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        _vocabularies = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private List<string> Listed(string vocabulary) => _vocabularies[vocabulary]!.AsArray().Select(v => (string)v!).ToList();

    // Where each vocabulary's value goes in an otherwise valid request, and the field path an error names.
    private static (Dictionary<string, object?> Request, string Field) Placed(string vocabulary, string value, string clientId)
    {
        var request = TestDirectory.Request(clientId);
        Dictionary<string, object?> Constraints(string key, object? v) => new()
        {
            ["region"] = "us-ny", ["format"] = "video", ["ageGroup"] = "adults", ["city"] = "brooklyn", [key] = v,
        };

        switch (vocabulary)
        {
            case "goals":
                request["goals"] = new[] { value };
                return (request, "goals[0]");
            case "modalities":
                request["modalities"] = new[] { new { modality = value, strength = "slight" } };
                return (request, "modalities[0].modality");
            case "preferenceStrengths":
                request["modalities"] = new[] { new { modality = "cbt", strength = value } };
                return (request, "modalities[0].strength");
            case "formats":
                request["constraints"] = Constraints("format", value);
                return (request, "constraints.format");
            case "ageGroups":
                request["constraints"] = Constraints("ageGroup", value);
                return (request, "constraints.ageGroup");
            case "availability":
                request["constraints"] = Constraints("availability", new[] { value });
                return (request, "constraints.availability"); // a flags list is read whole
            case "importance":
                request["culture"] = new { backgrounds = new[] { "latino" }, importance = value };
                return (request, "culture.importance");
            case "genders":
                request["gender"] = new { genders = new[] { value }, importance = "low" };
                return (request, "gender.genders[0]");
            default:
                throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, null);
        }
    }

    private static readonly string[] RequestVocabularies = ["goals", "modalities", "preferenceStrengths", "formats", "ageGroups", "availability", "importance", "genders"];

    [TestCaseSource(nameof(RequestVocabularies))]
    public async Task Every_listed_value_is_accepted_by_the_match_request(string vocabulary)
    {
        var values = Listed(vocabulary);
        Assert.That(values, Is.Not.Empty.And.Unique);
        foreach (var value in values)
        {
            var (request, _) = Placed(vocabulary, value, $"c-vocab-{vocabulary}");
            var response = await DirectoryClient.PostAsJsonAsync("/v1/matches", request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{vocabulary} '{value}': {await response.Content.ReadAsStringAsync()}");
        }
    }

    [TestCaseSource(nameof(RequestVocabularies))]
    public async Task A_value_not_listed_is_rejected_and_the_allowed_values_named_are_exactly_the_listed_ones(string vocabulary)
    {
        var (request, field) = Placed(vocabulary, "notListed", "c-vocab-unlisted");
        var response = await DirectoryClient.PostAsJsonAsync("/v1/matches", request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.That(problem["errors"]![field], Is.Not.Null, problem.ToJsonString());
        var message = (string)problem["errors"]![field]![0]!;
        // A flags vocabulary (age groups, availability) is described as an array of its names.
        Assert.That(message, Does.Match($"must be (one of|an array of): {Regex.Escape(string.Join(", ", Listed(vocabulary)))} \\(line "));
    }

    [Test]
    public async Task The_constraints_are_the_keys_of_every_match_exclusion_count_in_filter_order()
    {
        var response = await DirectoryClient.PostAsJsonAsync("/v1/matches", TestDirectory.Request("c-vocab-constraints"));
        var match = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.That(match["excludedBy"]!.AsObject().Select(p => p.Key), Is.EqualTo(Listed("constraints")));
    }

    [Test]
    public void The_limits_are_those_validation_enforces()
    {
        var limits = _vocabularies["limits"]!;
        Assert.Multiple(() =>
        {
            Assert.That((int)limits["maxGoals"]!, Is.EqualTo(5));
            Assert.That((int)limits["maxModalities"]!, Is.EqualTo(5));
            Assert.That((int)limits["maxLanguages"]!, Is.EqualTo(5));
            Assert.That((int)limits["maxTags"]!, Is.EqualTo(10));
            Assert.That((int)limits["defaultLimit"]!, Is.EqualTo(10));
            Assert.That((int)limits["maxLimit"]!, Is.EqualTo(50));
        });
    }

    [TestCase("goals", 5)]
    [TestCase("languages", 5)]
    public async Task One_item_over_a_list_limit_is_rejected(string list, int max)
    {
        var request = TestDirectory.Request("c-vocab-limit");
        request[list] = list == "goals" ? Listed("goals").Take(max + 1).ToArray() : new[] { "en", "es", "fr", "de", "it", "pt" }.Take(max + 1).ToArray();

        var response = await DirectoryClient.PostAsJsonAsync("/v1/matches", request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.That((string)problem["errors"]![list]![0]!, Is.EqualTo($"{list} must have 1-{max} items."));
    }

    [Test]
    public async Task The_openapi_document_lists_the_same_values_for_each_enum()
    {
        var document = (await DirectoryClient.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json"))!;
        var schemas = document["components"]!["schemas"]!.AsObject();
        foreach (var (schema, vocabulary) in new[] { ("Goal", "goals"), ("Modality", "modalities"), ("PreferenceStrength", "preferenceStrengths"), ("SessionFormat", "formats"), ("Importance", "importance"), ("Gender", "genders") })
        {
            var listed = schemas[schema]?["enum"]?.AsArray().Select(v => v!.ToString()).ToList();
            Assert.That(listed, Is.EqualTo(Listed(vocabulary)), schema);
        }
    }
}
