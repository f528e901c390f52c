using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Matching.Api.Tests.Therapists;

/// <summary>
/// Every validation rule of a therapist listing (<c>TherapistRequest.ToProfile</c>), one case per
/// rule, through <c>PUT /v1/therapists/{id}</c>: a 400 ProblemDetails naming the field, and
/// nothing stored. Each case changes one thing in a listing that is otherwise accepted.
/// </summary>
public sealed class TherapistRequestTests : DirectoryFixture
{
    private static JsonObject Valid(string id) => JsonSerializer.SerializeToNode(TestDirectory.Profile(id), MatchingApiFactory.Json)!.AsObject();

    private static JsonArray Tags(string prefix, int count) => new(Enumerable.Range(0, count).Select(i => (JsonNode?)JsonValue.Create($"{prefix}-{i}")).ToArray());

    private static IEnumerable<TestCaseData> InvalidListings()
    {
        TestCaseData Case(string field, string rule, Action<JsonObject> change) =>
            new TestCaseData(field, change).SetArgDisplayNames(field, rule);
        yield return Case("displayName", "required", t => t.Remove("displayName"));
        yield return Case("displayName", "at most 120 characters", t => t["displayName"] = new string('x', 121));
        yield return Case("displayName", "printable", t => t["displayName"] = "Dr\u0007 Bell");
        yield return Case("licensedRegions", "required", t => t.Remove("licensedRegions"));
        yield return Case("licensedRegions", "at least one", t => t["licensedRegions"] = new JsonArray());
        yield return Case("licensedRegions", "at most 20", t => t["licensedRegions"] = Tags("us", 21));
        yield return Case("licensedRegions", "no repeats", t => t["licensedRegions"] = new JsonArray("us-ny", "us-ny"));
        yield return Case("licensedRegions[0]", "a tag", t => t["licensedRegions"] = new JsonArray("US NY"));
        yield return Case("licensedRegions[1]", "no null item", t => t["licensedRegions"] = new JsonArray("us-ny", null));
        yield return Case("inPersonCities", "at most 20", t => t["inPersonCities"] = Tags("city", 21));
        yield return Case("inPersonCities[0]", "a tag", t => t["inPersonCities"] = new JsonArray("New York"));
        yield return Case("inPersonCities", "required without video", t => t["offersVideo"] = false);
        yield return Case("offersVideo", "required", t => t.Remove("offersVideo"));
        yield return Case("languages", "required", t => t.Remove("languages"));
        yield return Case("languages", "at most 10", t => t["languages"] = new JsonArray("aa", "ab", "ac", "ad", "ae", "af", "ag", "ah", "ai", "aj", "ak"));
        yield return Case("languages[0]", "ISO 639-1", t => t["languages"] = new JsonArray("english"));
        yield return Case("modalities", "at least one", t => t["modalities"] = new JsonArray());
        yield return Case("modalities", "no repeats", t => t["modalities"] = new JsonArray("cbt", "cbt"));
        yield return Case("specialties", "required", t => t.Remove("specialties"));
        yield return Case("specialties", "at least one", t => t["specialties"] = new JsonArray());
        yield return Case("style", "required", t => t.Remove("style"));
        yield return Case("style.directiveness", "required", t => t["style"] = new JsonObject { ["structure"] = 0.5, ["challenge"] = 0.5 });
        yield return Case("style.structure", "required", t => t["style"] = new JsonObject { ["directiveness"] = 0.5, ["challenge"] = 0.5 });
        yield return Case("style.challenge", "required", t => t["style"] = new JsonObject { ["directiveness"] = 0.5, ["structure"] = 0.5 });
        yield return Case("style.directiveness", "0-1", t => t["style"]!["directiveness"] = 1.1);
        yield return Case("style.structure", "0-1", t => t["style"]!["structure"] = -0.1);
        yield return Case("style.challenge", "0-1", t => t["style"]!["challenge"] = 2);
        yield return Case("culturalCompetencies", "at most 20", t => t["culturalCompetencies"] = Tags("culture", 21));
        yield return Case("culturalCompetencies[0]", "a tag", t => t["culturalCompetencies"] = new JsonArray("Latino!"));
        yield return Case("livedExperience", "at most 20", t => t["livedExperience"] = Tags("lived", 21));
        yield return Case("livedExperience[0]", "a tag", t => t["livedExperience"] = new JsonArray("LGBTQ+"));
        yield return Case("gender", "required", t => t.Remove("gender"));
        yield return Case("faithTradition", "a tag", t => t["faithTradition"] = "Roman Catholic");
        yield return Case("insuranceAccepted", "at most 50", t => t["insuranceAccepted"] = Tags("insurer", 51));
        yield return Case("insuranceAccepted[0]", "a tag", t => t["insuranceAccepted"] = new JsonArray("Blue Cross"));
        yield return Case("fee", "required", t => t.Remove("fee"));
        yield return Case("fee", "not negative", t => t["fee"] = -1);
        yield return Case("fee", "at most 10,000", t => t["fee"] = 10_001);
        yield return Case("ageGroups", "required", t => t.Remove("ageGroups"));
        yield return Case("ageGroups", "at least one", t => t["ageGroups"] = new JsonArray());
        yield return Case("availability", "required", t => t.Remove("availability"));
        yield return Case("availability", "at least one", t => t["availability"] = new JsonArray());
        yield return Case("weeklyNewClientCapacity", "required", t => t.Remove("weeklyNewClientCapacity"));
        yield return Case("weeklyNewClientCapacity", "at most 50", t => t["weeklyNewClientCapacity"] = 51);
        yield return Case("weeklyNewClientCapacity", "not negative", t => t["weeklyNewClientCapacity"] = -1);
        yield return Case("acceptingNewClients", "required", t => t.Remove("acceptingNewClients"));
    }

    private static int _next;

    [TestCaseSource(nameof(InvalidListings))]
    public async Task An_invalid_listing_is_a_400_naming_the_field_and_stores_nothing(string field, Action<JsonObject> change)
    {
        var id = $"t-rule-{Interlocked.Increment(ref _next)}";
        var listing = Valid(id);
        change(listing);

        var response = await DataClient.PutAsJsonAsync($"/v1/therapists/{id}", listing);
        var body = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(JsonNode.Parse(body)!["errors"]!.AsObject().Select(e => e.Key), Has.Member(field), body);
        Assert.That((await DataClient.GetAsync($"/v1/therapists/{id}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task The_listing_every_case_starts_from_is_accepted()
    {
        var response = await DataClient.PutAsJsonAsync("/v1/therapists/t-rule-base", Valid("t-rule-base"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task An_id_that_is_not_a_tag_is_a_400_naming_it()
    {
        var response = await DataClient.PutAsJsonAsync("/v1/therapists/T_Bad", Valid("T_Bad"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(JsonNode.Parse(body)!["errors"]!.AsObject().Select(e => e.Key), Has.Member("id"));
    }
}
