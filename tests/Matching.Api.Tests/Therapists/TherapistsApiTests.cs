using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;
using Matching.Engine.Domain;

namespace Matching.Api.Tests.Therapists;

public sealed class TherapistsApiTests : DirectoryFixture
{
    [Test]
    public async Task Put_creates_then_replaces_and_get_returns_every_field()
    {
        var profile = TestDirectory.Profile("t-put-1") with
        {
            Languages = ["en", "ko"],
            CulturalCompetencies = ["east-asian"],
            FaithTradition = "christian",
            Availability = Availability.Weekend,
        };

        var created = await DataClient.PutAsJsonAsync("/v1/therapists/t-put-1", profile, MatchingApiFactory.Json);
        var replaced = await DataClient.PutAsJsonAsync("/v1/therapists/t-put-1", profile with { Fee = 95 }, MatchingApiFactory.Json);
        var stored = await IntakeClient.GetFromJsonAsync<JsonObject>("/v1/therapists/t-put-1", MatchingApiFactory.Json);
        var roundTrip = System.Text.Json.JsonSerializer.Deserialize<TherapistProfile>(stored!["profile"]!.ToJsonString(), MatchingApiFactory.Json)!;

        Assert.Multiple(() =>
        {
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(created.Headers.Location!.ToString(), Is.EqualTo("/v1/therapists/t-put-1"));
            Assert.That(replaced.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(roundTrip.Fee, Is.EqualTo(95m));
            Assert.That(roundTrip.Languages, Is.EqualTo(new[] { "en", "ko" }));
            Assert.That(roundTrip.FaithTradition, Is.EqualTo("christian"));
            Assert.That(roundTrip.Availability, Is.EqualTo(Availability.Weekend));
            Assert.That((bool)stored["active"]!, Is.True);
        });
    }

    [Test]
    public async Task An_id_in_the_body_must_agree_with_the_path()
    {
        var response = await DataClient.PutAsJsonAsync("/v1/therapists/t-put-2", TestDirectory.Profile("t-other"), MatchingApiFactory.Json);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("\"id\""));
    }

    [Test]
    public async Task List_filters_and_pages()
    {
        var ny = await IntakeClient.GetFromJsonAsync<JsonObject>("/v1/therapists?region=us-ny&language=en&pageSize=2&page=1");
        var page2 = await IntakeClient.GetFromJsonAsync<JsonObject>("/v1/therapists?region=us-ny&language=en&pageSize=2&page=2");
        var emdr = await IntakeClient.GetFromJsonAsync<JsonObject>("/v1/therapists?modality=emdr");
        var trauma = await IntakeClient.GetFromJsonAsync<JsonObject>("/v1/therapists?specialty=trauma&insurance=bcbs");
        var notAccepting = await IntakeClient.GetFromJsonAsync<JsonObject>("/v1/therapists?accepting=false");
        var brooklyn = await IntakeClient.GetFromJsonAsync<JsonObject>("/v1/therapists?city=brooklyn");

        static List<string> Ids(JsonObject? page) => page!["items"]!.AsArray().Select(i => (string)i!["profile"]!["id"]!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(Ids(ny), Has.Count.EqualTo(2));
            Assert.That((int)ny!["total"]!, Is.GreaterThanOrEqualTo(5));
            Assert.That(Ids(page2), Has.Count.EqualTo(2).And.No.AnyOf(Ids(ny).ToArray()));
            Assert.That(Ids(emdr), Is.EqualTo(new[] { "t-emdr-ny" }));
            Assert.That(Ids(trauma), Is.EqualTo(new[] { "t-emdr-ny" }));
            Assert.That(Ids(notAccepting), Is.EqualTo(new[] { "t-full-ny" }));
            Assert.That(Ids(brooklyn), Is.EqualTo(new[] { "t-cbt-ny" }));
        });
    }

    [TestCase(2147483647, 200)]
    [TestCase(10737420, 200)]
    [TestCase(0, 50)]
    [TestCase(-3, 50)]
    public async Task A_page_whose_offset_is_out_of_range_is_a_400_naming_page(int page, int pageSize)
    {
        var response = await IntakeClient.GetAsync($"/v1/therapists?page={page}&pageSize={pageSize}");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Is.EqualTo(new[] { "page" }));
    }

    [Test]
    public async Task The_last_page_in_range_past_the_end_is_empty_not_the_first()
    {
        var last = await IntakeClient.GetFromJsonAsync<JsonObject>("/v1/therapists?page=10737419&pageSize=200");

        Assert.That(last!["items"]!.AsArray(), Is.Empty);
        Assert.That((int)last["total"]!, Is.Positive);
    }

    [Test]
    public async Task A_deactivated_therapist_is_no_longer_matched_until_reactivated()
    {
        using var directory = Factory.ClientFor(Role.Directory);
        await DataClient.PutAsJsonAsync("/v1/therapists/t-deact", TestDirectory.Profile("t-deact") with { Specialties = [Goal.Ocd] }, MatchingApiFactory.Json);
        var request = TestDirectory.Request("c-deact");
        request["goals"] = new[] { "ocd" };

        async Task<string> TopAsync() => (string)(await (await directory.PostAsJsonAsync("/v1/matches", request)).Content.ReadFromJsonAsync<JsonObject>())!["therapists"]![0]!["therapistId"]!;
        var before = await TopAsync();
        var deactivated = await DataClient.PostAsync("/v1/therapists/t-deact/deactivate", null);
        var during = await TopAsync();
        var listed = await IntakeClient.GetFromJsonAsync<JsonObject>("/v1/therapists?active=false");
        await DataClient.PostAsync("/v1/therapists/t-deact/reactivate", null);
        var after = await TopAsync();
        var unknown = await DataClient.PostAsync("/v1/therapists/t-nobody/deactivate", null);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo("t-deact"));
            Assert.That(deactivated.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(during, Is.Not.EqualTo("t-deact"));
            Assert.That(listed!["items"]!.AsArray().Select(i => (string)i!["profile"]!["id"]!), Does.Contain("t-deact"));
            Assert.That(after, Is.EqualTo("t-deact"));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Bulk_import_reports_created_and_updated()
    {
        var response = await DataClient.PostAsJsonAsync("/v1/therapists/import",
            new { therapists = new[] { TestDirectory.CbtNy, TestDirectory.Profile("t-import-new") } }, MatchingApiFactory.Json);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(((int)body!["imported"]!, (int)body["created"]!, (int)body["updated"]!), Is.EqualTo((2, 1, 1)));
    }

    [Test]
    public async Task An_unknown_therapist_is_a_404_problem()
    {
        var response = await IntakeClient.GetAsync("/v1/therapists/t-missing");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
    }
}
