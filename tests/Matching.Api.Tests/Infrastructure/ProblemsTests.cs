using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;

namespace Matching.Api.Tests.Infrastructure;

/// <summary>Bad input of every kind: a 400/404/413 ProblemDetails naming the field, never a 500, nothing stored changes.</summary>
public sealed class ProblemsTests : DirectoryFixture
{
    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        return JsonNode.Parse(body)!.AsObject();
    }

    private static IEnumerable<TestCaseData> InvalidMatchRequests()
    {
        TestCaseData Case(string field, Action<Dictionary<string, object?>> change) =>
            new TestCaseData(field, change).SetArgDisplayNames(field);
        yield return Case("clientId", r => r.Remove("clientId"));
        yield return Case("clientId", r => r["clientId"] = "Jane Doe <jane@example.org>");
        yield return Case("goals", r => r["goals"] = Array.Empty<string>());
        yield return Case("goals", r => r["goals"] = new[] { "panic", "panic" });
        yield return Case("goals", r => r["goals"] = new[] { "panic", "sleep", "grief", "anger", "ocd", "eating" });
        yield return Case("modalities[0].strength", r => r["modalities"] = new[] { new { modality = "cbt" } });
        yield return Case("modalities", r => r["modalities"] = new[] { new { modality = "cbt", strength = "slight" }, new { modality = "cbt", strength = "strong" } });
        yield return Case("style.directiveness", r => r["style"] = new { directiveness = 1.5 });
        yield return Case("languages", r => r.Remove("languages"));
        yield return Case("languages[0]", r => r["languages"] = new[] { "english" });
        yield return Case("culture.importance", r => r["culture"] = new { backgrounds = new[] { "latino" } });
        yield return Case("culture.backgrounds", r => r["culture"] = new { importance = "high" });
        yield return Case("culture.backgrounds[0]", r => r["culture"] = new { backgrounds = new[] { "Latino Heritage!" }, importance = "high" });
        yield return Case("gender.genders", r => r["gender"] = new { importance = "low" });
        yield return Case("faith.faith", r => r["faith"] = new { importance = "low" });
        yield return Case("constraints", r => r.Remove("constraints"));
        yield return Case("constraints.region", r => r["constraints"] = new { format = "video", ageGroup = "adults" });
        yield return Case("constraints.city", r => r["constraints"] = new { region = "us-ny", format = "inPerson", ageGroup = "adults" });
        yield return Case("constraints.maxFee", r => r["constraints"] = new { region = "us-ny", ageGroup = "adults", maxFee = -5 });
        yield return Case("constraints.ageGroup", r => r["constraints"] = new { region = "us-ny" });
        yield return Case("constraints.ageGroup", r => r["constraints"] = new { region = "us-ny", ageGroup = new[] { "adults", "children" } });
        yield return Case("limit", r => r["limit"] = 51);
        yield return Case("limit", r => r["limit"] = 0);
        // Every other rule of MatchRequest, one case each.
        yield return Case("goals", r => r.Remove("goals"));
        yield return Case("modalities", r => r["modalities"] = Enumerable.Range(0, 6).Select(_ => new { modality = "cbt", strength = "slight" }).ToArray());
        yield return Case("modalities[0].modality", r => r["modalities"] = new[] { new { strength = "strong" } });
        yield return Case("style.structure", r => r["style"] = new { structure = 1.5 });
        yield return Case("style.challenge", r => r["style"] = new { challenge = -0.5 });
        yield return Case("languages", r => r["languages"] = new[] { "en", "es", "fr", "de", "it", "pt" });
        yield return Case("culture.backgrounds", r => r["culture"] = new { backgrounds = Enumerable.Range(0, 11).Select(i => $"culture-{i}").ToArray(), importance = "high" });
        yield return Case("gender.importance", r => r["gender"] = new { genders = new[] { "woman" } });
        yield return Case("gender.genders", r => r["gender"] = new { genders = Array.Empty<string>(), importance = "low" });
        yield return Case("faith.importance", r => r["faith"] = new { faith = "muslim" });
        yield return Case("faith.faith", r => r["faith"] = new { faith = "Roman Catholic", importance = "low" });
        yield return Case("identity.importance", r => r["identity"] = new { identities = new[] { "lgbtq" } });
        yield return Case("identity.identities", r => r["identity"] = new { importance = "high" });
        yield return Case("identity.identities[0]", r => r["identity"] = new { identities = new[] { "LGBTQ+" }, importance = "high" });
        yield return Case("constraints.region", r => r["constraints"] = new { region = "US NY", ageGroup = "adults" });
        yield return Case("constraints.city", r => r["constraints"] = new { region = "us-ny", city = "New York", ageGroup = "adults" });
        yield return Case("constraints.insurance", r => r["constraints"] = new { region = "us-ny", insurance = "Blue Cross", ageGroup = "adults" });
        yield return Case("constraints.maxFee", r => r["constraints"] = new { region = "us-ny", ageGroup = "adults", maxFee = 10_001 });
    }

    [TestCaseSource(nameof(InvalidMatchRequests))]
    public async Task An_invalid_match_request_is_a_400_naming_the_field(string field, Action<Dictionary<string, object?>> change)
    {
        var request = TestDirectory.Request("c-invalid");
        change(request);

        var problem = await ProblemAsync(await DirectoryClient.PostAsJsonAsync("/v1/matches", request), HttpStatusCode.BadRequest);

        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Has.Member(field));
    }

    [TestCase("goals[0]", """{"clientId":"c-1","goals":["panik"],"languages":["en"],"constraints":{"region":"us-ny","ageGroup":"adults"}}""", "anxiety, panic")]
    [TestCase("constraints.format", """{"clientId":"c-1","goals":["panic"],"languages":["en"],"constraints":{"region":"us-ny","format":"hologram","ageGroup":"adults"}}""", "either, inPerson, video")]
    [TestCase("modalities[0].modality", """{"clientId":"c-1","goals":["panic"],"modalities":[{"modality":"reiki","strength":"strong"}],"languages":["en"],"constraints":{"region":"us-ny","ageGroup":"adults"}}""", "cbt, dbt")]
    [TestCase("limit", """{"clientId":"c-1","goals":["panic"],"languages":["en"],"constraints":{"region":"us-ny","ageGroup":"adults"},"limit":"ten"}""", "")]
    [TestCase("goals[0]", """{"clientId":"c-1", "goals": [""", "")]
    [TestCase("body", "not json at all", "")]
    public async Task Malformed_json_and_unknown_enum_values_name_the_field_and_list_the_allowed_values(string field, string json, string allowed)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var problem = await ProblemAsync(await DirectoryClient.PostAsync("/v1/matches", content), HttpStatusCode.BadRequest);

        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Has.Member(field));
        Assert.That((string)problem["errors"]![field]![0]!, Does.Contain(allowed));
    }

    [Test]
    public async Task A_missing_body_is_a_400_problem()
    {
        using var content = new StringContent("", Encoding.UTF8, "application/json");
        var problem = await ProblemAsync(await DirectoryClient.PostAsync("/v1/matches", content), HttpStatusCode.BadRequest);

        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Has.Member("body"));
    }

    [Test]
    public async Task An_oversized_body_is_a_413_problem_and_nothing_is_stored()
    {
        var request = TestDirectory.Request("c-huge");
        request["padding"] = new string('x', (int)Problems.MaxBodyBytes);

        var problem = await ProblemAsync(await DirectoryClient.PostAsJsonAsync("/v1/matches", request), HttpStatusCode.RequestEntityTooLarge);
        var accepted = await DirectoryClient.PostAsJsonAsync("/v1/matches", TestDirectory.Request("c-huge-control"));

        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Has.Member("body"));
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await CountAsync("shortlist", "client_id = @Client", new { Client = "c-huge" }), Is.Zero);
        Assert.That(await CountAsync("shortlist", "client_id = @Client", new { Client = "c-huge-control" }), Is.EqualTo(1), "the same query sees a stored shortlist");
    }

    [Test]
    public async Task A_rejected_therapist_update_leaves_the_stored_listing_unchanged()
    {
        var before = await DataClient.GetStringAsync("/v1/therapists/t-cbt-ny");
        var broken = TestDirectory.CbtNy with { Fee = -1 };

        var problem = await ProblemAsync(await DataClient.PutAsJsonAsync("/v1/therapists/t-cbt-ny", broken, MatchingApiFactory.Json), HttpStatusCode.BadRequest);

        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Has.Member("fee"));
        Assert.That(await DataClient.GetStringAsync("/v1/therapists/t-cbt-ny"), Is.EqualTo(before));
    }

    [Test]
    public async Task A_bulk_import_with_one_bad_listing_stores_none_of_them()
    {
        var good = TestDirectory.Profile("t-import-good");
        var bad = TestDirectory.Profile("t-import-bad") with { Languages = ["english"] };

        var problem = await ProblemAsync(
            await DataClient.PostAsJsonAsync("/v1/therapists/import", new { therapists = new[] { good, bad } }, MatchingApiFactory.Json),
            HttpStatusCode.BadRequest);

        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Has.Member("therapists[1].languages[0]"));
        Assert.That((await DataClient.GetAsync("/v1/therapists/t-import-good")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [TestCase("/v1/therapists?modality=reiki", "modality")]
    [TestCase("/v1/therapists?specialty=joy", "specialty")]
    [TestCase("/v1/therapists?pageSize=500", "pageSize")]
    [TestCase("/v1/therapists?page=0", "page")]
    [TestCase("/v1/therapists?language=english", "language")]
    [TestCase("/v1/therapists?region=US%20NY", "region")]
    public async Task Invalid_query_parameters_are_400_naming_the_parameter(string url, string field)
    {
        var problem = await ProblemAsync(await DataClient.GetAsync(url), HttpStatusCode.BadRequest);

        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Has.Member(field));
    }

    [TestCase("/v1/therapists?accepting=perhaps", "accepting")]
    [TestCase("/v1/therapists?page=abc", "page")]
    [TestCase("/v1/therapists?pageSize=1.5", "pageSize")]
    public async Task A_query_parameter_of_the_wrong_type_is_a_400_naming_it_not_a_500(string url, string field)
    {
        var problem = await ProblemAsync(await DataClient.GetAsync(url), HttpStatusCode.BadRequest);

        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Has.Member(field));
    }

    // Each error path, asked for with a browser's Accept header: the answer is still ProblemDetails, never an empty 500.
    private static IEnumerable<TestCaseData> ErrorPaths()
    {
        TestCaseData Case(int status, string method, string path, Role? role, string? body = null, string contentType = "application/json") =>
            new TestCaseData(status, method, path, role, body, contentType).SetArgDisplayNames($"{status} {method} {path}");
        yield return Case(401, "GET", "/v1/therapists", null);
        yield return Case(403, "GET", "/v1/therapists", Role.Directory);
        yield return Case(403, "DELETE", "/v1/clients/c-someone", Role.Intake);
        yield return Case(404, "GET", "/v1/therapists/t-nobody", Role.Data);
        yield return Case(404, "GET", "/v1/nothing-here", Role.Data);
        yield return Case(400, "GET", "/v1/therapists?page=abc", Role.Data);
        yield return Case(400, "GET", "/v1/therapists?modality=reiki", Role.Data);
        yield return Case(400, "POST", "/v1/matches", Role.Directory, """{"clientId":"c-1","goals":["panik"]}""");
        yield return Case(400, "POST", "/v1/matches", Role.Directory, """{"clientId":""");
        yield return Case(400, "POST", "/v1/matches", Role.Directory, "{}");
        yield return Case(413, "POST", "/v1/matches", Role.Directory, "{\"clientId\":\"" + new string('x', (int)Problems.MaxBodyBytes) + "\"}");
        yield return Case(415, "POST", "/v1/matches", Role.Directory, "clientId=c-1", "text/plain");
    }

    [TestCaseSource(nameof(ErrorPaths))]
    public async Task Every_error_is_problem_json_whatever_the_accept_header_asks_for(int status, string method, string path, Role? role, string? body, string contentType)
    {
        foreach (var accept in new[] { "text/html", "text/html,application/xhtml+xml;q=0.9", "text/plain", "image/png" })
        {
            using var client = role is { } r ? Factory.ClientFor(r) : Factory.CreateClient();
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.TryAddWithoutValidation("Accept", accept);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, contentType);
            }

            var problem = await ProblemAsync(await client.SendAsync(request), (HttpStatusCode)status);

            Assert.That((int)problem["status"]!, Is.EqualTo(status), accept);
            Assert.That((string?)problem["title"], Is.Not.Empty, accept);
            Assert.That((string?)problem["detail"], Is.Not.Empty, accept);
            Assert.That((string?)problem["type"], Does.StartWith("https://tools.ietf.org/html/rfc"), accept);
            if (status == 415)
            {
                Assert.That((string)problem["errors"]!["body"]![0]!, Does.Contain("application/json"), accept);
            }
        }
    }

    private static IEnumerable<TestCaseData> UnreadableBodies()
    {
        TestCaseData Case(string field, string json, string says) => new TestCaseData(field, json, says).SetArgDisplayNames($"{field}: {says}");
        const string Valid = "\"clientId\":\"c-1\",\"goals\":[\"panic\"],\"languages\":[\"en\"]";
        yield return Case("body", "[]", "The body must be a JSON object");
        yield return Case("body", "42", "The body must be a JSON object");
        yield return Case("limit", $$"""{{{Valid}},"constraints":{"region":"us-ny","ageGroup":"adults"},"limit":"ten"}""", "limit must be a whole number");
        yield return Case("constraints.maxFee", "{" + Valid + ""","constraints":{"region":"us-ny","ageGroup":"adults","maxFee":"cheap"}}""", "constraints.maxFee must be a number");
        yield return Case("constraints", $$"""{{{Valid}},"constraints":"us-ny"}""", "constraints must be a JSON object");
        yield return Case("goals", """{"clientId":"c-1","goals":"panic"}""", "goals must be an array");
        yield return Case("goals[1]", """{"clientId":"c-1","goals":["panic", 7]}""", "goals[1] must be one of: anxiety, panic");
        yield return Case("constraints.availability", "{" + Valid + ""","constraints":{"region":"us-ny","ageGroup":"adults","availability":["sundays"]}}""", "constraints.availability must be an array of: weekdayDaytime, weekdayEvening, weekend");
        yield return Case("style.directiveness", """{"clientId":"c-1","style":{"directiveness":true}}""", "style.directiveness must be a number");
        yield return Case("clientId", """{"clientId":{"name":"x"}}""", "clientId must be a string");
        yield return Case("goals[0]", """{"clientId":"c-1", "goals": [""", "The body is not valid JSON: it breaks at line 1");
        yield return Case("body", "{\n  \"clientId\": \"c-1\",\n  oops\n}", "The body is not valid JSON: it breaks at line 3, position 3");
    }

    [TestCaseSource(nameof(UnreadableBodies))]
    public async Task A_body_that_cannot_be_read_is_described_in_the_apis_terms_with_path_line_and_position(string field, string json, string says)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var problem = await ProblemAsync(await DirectoryClient.PostAsync("/v1/matches", content), HttpStatusCode.BadRequest);

        var message = (string)problem["errors"]![field]![0]!;
        Assert.That(message, Does.Contain(says));
        Assert.That(message, Does.Match(@"line \d+, position \d+"));
        Assert.That(message, Does.Not.Contain("Matching.").And.Not.Contain("System.").And.Not.Contain("could not be converted")
            .And.Not.Contain("LineNumber").And.Not.Contain("BytePositionInLine").And.Not.Contain("Path:"));
        Assert.That((int)problem["line"]!, Is.GreaterThan(0));
        Assert.That((int)problem["position"]!, Is.GreaterThan(0));
    }

    private static IEnumerable<TestCaseData> UnknownMembers()
    {
        TestCaseData Case(string method, string path, Role role, string json, string field) =>
            new TestCaseData(method, path, role, json, field).SetArgDisplayNames($"{method} {path} {field}");
        yield return Case("POST", "/v1/matches", Role.Directory, """{"clientId":"c-1","goals":["panic"],"langauges":["en"]}""", "langauges");
        yield return Case("POST", "/v1/matches", Role.Directory, """{"clientId":"c-1","constraints":{"region":"us-ny","colour":"blue"}}""", "constraints.colour");
        yield return Case("POST", "/v1/matches", Role.Directory, """{"clientId":"c-1","modalities":[{"modality":"cbt","strength":"strong","weight":2}]}""", "modalities[0].weight");
        yield return Case("POST", $"/v1/matches/{Guid.Empty}/choice", Role.Directory, """{"therapistId":"t-cbt-ny","why":"near"}""", "why");
        yield return Case("POST", "/v1/outcome-events", Role.Intake, """{"kind":"completed","mood":"good"}""", "mood");
        yield return Case("PUT", "/v1/therapists/t-extra", Role.Data, """{"displayName":"Dr X","email":"x@example.org"}""", "email");
        yield return Case("POST", "/v1/therapists/import", Role.Data, """{"therapists":[{"id":"t-a","nickname":"a"}]}""", "therapists[0].nickname");
    }

    [TestCaseSource(nameof(UnknownMembers))]
    public async Task An_unknown_member_is_a_400_naming_it_and_listing_the_members_that_exist(string method, string path, Role role, string json, string field)
    {
        using var client = Factory.ClientFor(role);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

        var problem = await ProblemAsync(await client.SendAsync(request), HttpStatusCode.BadRequest);

        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Is.EqualTo(new[] { field }));
        Assert.That((string)problem["errors"]![field]![0]!, Does.Contain("is not a member of").And.Not.Contain("Matching."));
    }

    [Test]
    public async Task An_unknown_route_is_a_404_problem()
    {
        await ProblemAsync(await DataClient.GetAsync("/v1/nothing-here"), HttpStatusCode.NotFound);
    }
}
