using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;

namespace Matching.Api.Tests.Matches;

public sealed class MatchesApiTests : DirectoryFixture
{
    private async Task<JsonObject> MatchAsync(Dictionary<string, object?> request)
    {
        var response = await DirectoryClient.PostAsJsonAsync("/v1/matches", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return JsonNode.Parse(body)!.AsObject();
    }

    private static List<string> Ids(JsonObject match) =>
        match["therapists"]!.AsArray().Select(t => (string)t!["therapistId"]!).ToList();

    [Test]
    public async Task Ranks_only_therapists_that_meet_every_hard_constraint_and_counts_exclusions()
    {
        var match = await MatchAsync(TestDirectory.Request("c-hard-1"));

        Assert.That(Ids(match), Is.EquivalentTo(new[] { "t-cbt-ny", "t-emdr-ny" }));
        var excluded = match["excludedBy"]!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That((int)match["considered"]!, Is.EqualTo(7));
            Assert.That((int)match["eligible"]!, Is.EqualTo(2));
            Assert.That((int)excluded["accepting"]!, Is.EqualTo(1), "t-full-ny");
            Assert.That((int)excluded["region"]!, Is.EqualTo(1), "t-cbt-ca");
            Assert.That((int)excluded["format"]!, Is.EqualTo(1), "t-psy-ny has no video");
            Assert.That((int)excluded["language"]!, Is.EqualTo(1), "t-es-ny");
            Assert.That((int)excluded["ageGroup"]!, Is.EqualTo(1), "t-kids-ny");
        });
    }

    [Test]
    public async Task Ranks_the_therapist_who_meets_the_preferences_first_and_explains_it_in_the_three_pillars()
    {
        var match = await MatchAsync(TestDirectory.Request("c-pref-1"));

        var first = match["therapists"]![0]!;
        var second = match["therapists"]![1]!;
        Assert.Multiple(() =>
        {
            Assert.That((string)first["therapistId"]!, Is.EqualTo("t-cbt-ny"));
            Assert.That((int)first["position"]!, Is.EqualTo(1));
            Assert.That((double)first["score"]!, Is.GreaterThan((double)second["score"]!));
            Assert.That((double)first["fit"]!["goals"]!, Is.GreaterThan((double)second["fit"]!["goals"]!), "panic specialist");
            Assert.That((double)first["fit"]!["tasks"]!, Is.GreaterThan((double)second["fit"]!["tasks"]!), "offers CBT");
            Assert.That((double)first["fit"]!["bond"]!, Is.GreaterThan((double)second["fit"]!["bond"]!), "directive, as asked");
            Assert.That(first["reasons"]!.AsArray().Select(r => (string)r!), Has.Some.EqualTo("specialises in your first goal: panic"));
            Assert.That(first["reasons"]!.AsArray().Select(r => (string)r!), Has.Some.EqualTo("offers CBT, which you preferred strongly"));
            Assert.That((string)match["modelVersion"]!, Is.EqualTo("rule-based/1"));
        });
    }

    [Test]
    public async Task A_preference_for_another_modality_and_style_reverses_the_order()
    {
        var request = TestDirectory.Request("c-pref-2");
        request["goals"] = new[] { "trauma" };
        request["modalities"] = new[] { new { modality = "emdr", strength = "strong" } };
        request["style"] = new { directiveness = 0.1 };

        var match = await MatchAsync(request);

        Assert.That(Ids(match), Is.EqualTo(new[] { "t-emdr-ny", "t-cbt-ny" }));
    }

    [Test]
    public async Task In_person_matches_need_an_office_in_the_clients_city()
    {
        var request = TestDirectory.Request("c-city-1");
        request["constraints"] = new { region = "us-ny", format = "inPerson", city = "manhattan", ageGroup = "adults" };

        var match = await MatchAsync(request);

        Assert.That(Ids(match), Is.EqualTo(new[] { "t-psy-ny" }));
    }

    [Test]
    public async Task Insurance_and_fee_constraints_filter()
    {
        var insured = TestDirectory.Request("c-ins-1");
        insured["constraints"] = new { region = "us-ny", format = "video", ageGroup = "adults", insurance = "bcbs" };
        var selfPay = TestDirectory.Request("c-fee-1");
        selfPay["constraints"] = new { region = "us-ny", format = "video", ageGroup = "adults", maxFee = 130 };

        Assert.That(Ids(await MatchAsync(insured)), Is.EqualTo(new[] { "t-emdr-ny" }));
        Assert.That(Ids(await MatchAsync(selfPay)), Is.EqualTo(new[] { "t-emdr-ny" }));
    }

    [Test]
    public async Task Cultural_background_counts_only_when_the_client_says_it_matters()
    {
        var request = TestDirectory.Request("c-culture-1");
        request["modalities"] = Array.Empty<object>();
        request["style"] = null;
        request["goals"] = new[] { "grief" };
        var none = await MatchAsync(request);
        request["culture"] = new { backgrounds = new[] { "latino" }, importance = "none" };
        var ignored = await MatchAsync(request);
        request["culture"] = new { backgrounds = new[] { "latino" }, importance = "high" };
        var wanted = await MatchAsync(request);

        static Dictionary<string, double> Scores(JsonObject m) =>
            m["therapists"]!.AsArray().ToDictionary(t => (string)t!["therapistId"]!, t => (double)t!["score"]!);
        Assert.Multiple(() =>
        {
            Assert.That(Scores(ignored), Is.EqualTo(Scores(none)), "stated with importance none: not used at all");
            Assert.That(ignored["therapists"]!.AsArray().SelectMany(t => t!["reasons"]!.AsArray()).Select(r => (string)r!), Has.None.Contains("background"));
            Assert.That(Scores(wanted)["t-emdr-ny"], Is.GreaterThan(Scores(none)["t-emdr-ny"]), "lists latino competence");
            Assert.That(Ids(wanted)[0], Is.EqualTo("t-emdr-ny"));
            Assert.That(wanted["therapists"]![0]!["reasons"]!.AsArray().Select(r => (string)r!), Has.Some.EqualTo("lists experience with your background (latino)"));
        });
    }

    [Test]
    public async Task Limit_defaults_to_ten_and_caps_the_list()
    {
        // A directory of its own with twelve eligible therapists, so the default is what cuts the list.
        using var factory = new MatchingApiFactory();
        using var data = factory.ClientFor(Role.Data);
        using var directory = factory.ClientFor(Role.Directory);
        var twelve = Enumerable.Range(0, 12).Select(i => TestDirectory.Profile($"t-limit-{i:00}")).ToList();
        var import = await data.PostAsJsonAsync("/v1/therapists/import", new { therapists = twelve }, MatchingApiFactory.Json);
        Assert.That(import.IsSuccessStatusCode, Is.True, await import.Content.ReadAsStringAsync());
        async Task<JsonObject> MatchWithLimitAsync(int? limit)
        {
            var request = TestDirectory.Request($"c-limit-{limit}");
            if (limit is { } l)
            {
                request["limit"] = l;
            }

            var response = await directory.PostAsJsonAsync("/v1/matches", request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        }

        var byDefault = await MatchWithLimitAsync(null);
        var one = await MatchWithLimitAsync(1);
        var all = await MatchWithLimitAsync(50);

        Assert.Multiple(() =>
        {
            Assert.That((int)byDefault["eligible"]!, Is.EqualTo(12));
            Assert.That(Ids(byDefault), Has.Count.EqualTo(10));
            Assert.That(Ids(one), Has.Count.EqualTo(1));
            Assert.That(Ids(one)[0], Is.EqualTo(Ids(byDefault)[0]));
            Assert.That(Ids(all), Has.Count.EqualTo(12));
        });
    }

    [Test]
    public async Task The_stored_shortlist_shows_request_caller_model_items_and_choice()
    {
        var match = await MatchAsync(TestDirectory.Request("c-stored-1"));
        var id = (string)match["matchId"]!;
        var choice = await DirectoryClient.PostAsJsonAsync($"/v1/matches/{id}/choice", new { therapistId = "t-emdr-ny" });
        Assert.That(choice.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));

        var stored = JsonNode.Parse(await IntakeClient.GetStringAsync($"/v1/matches/{id}"))!;

        Assert.Multiple(() =>
        {
            Assert.That((string)stored["clientId"]!, Is.EqualTo("c-stored-1"));
            Assert.That((string)stored["caller"]!, Is.EqualTo("test-directory"));
            Assert.That((string)stored["modelVersion"]!, Is.EqualTo("rule-based/1"));
            Assert.That((string)stored["featureSchema"]!, Is.EqualTo("pair-features/1"));
            Assert.That((string)stored["request"]!["goals"]![0]!, Is.EqualTo("panic"));
            Assert.That(stored["therapists"]!.AsArray().Select(t => (string)t!["therapistId"]!), Is.EqualTo(Ids(match)));
            Assert.That((double)stored["therapists"]![0]!["fit"]!["goals"]!, Is.EqualTo((double)match["therapists"]![0]!["fit"]!["goals"]!));
            Assert.That((string)stored["chosenTherapistId"]!, Is.EqualTo("t-emdr-ny"));
            Assert.That(stored["therapists"]!.AsArray().Select(t => (string?)t!["displayName"]), Is.EqualTo(match["therapists"]!.AsArray().Select(t => (string?)t!["displayName"])).And.All.Not.Null);
        });
    }

    [Test]
    public async Task A_choice_must_name_a_therapist_on_the_shortlist_and_is_recorded_once()
    {
        var id = (string)(await MatchAsync(TestDirectory.Request("c-choice-1")))["matchId"]!;

        var notOnList = await DirectoryClient.PostAsJsonAsync($"/v1/matches/{id}/choice", new { therapistId = "t-psy-ny" });
        var missing = await DirectoryClient.PostAsJsonAsync($"/v1/matches/{id}/choice", new { });
        var unknownMatch = await DirectoryClient.PostAsJsonAsync($"/v1/matches/{Guid.NewGuid()}/choice", new { therapistId = "t-cbt-ny" });
        var first = await DirectoryClient.PostAsJsonAsync($"/v1/matches/{id}/choice", new { therapistId = "t-cbt-ny" });
        var second = await DirectoryClient.PostAsJsonAsync($"/v1/matches/{id}/choice", new { therapistId = "t-emdr-ny" });

        Assert.Multiple(async () =>
        {
            Assert.That(notOnList.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await notOnList.Content.ReadAsStringAsync(), Does.Contain("therapistId"));
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(unknownMatch.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(unknownMatch.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        });
        var stored = JsonNode.Parse(await IntakeClient.GetStringAsync($"/v1/matches/{id}"))!;
        Assert.That((string)stored["chosenTherapistId"]!, Is.EqualTo("t-cbt-ny"), "the rejected second choice changed nothing");
    }

    [Test]
    public async Task Unknown_shortlist_is_a_404_problem()
    {
        var response = await IntakeClient.GetAsync($"/v1/matches/{Guid.NewGuid()}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["title"]!, Is.EqualTo("Unknown match"));
    }
}

/// <summary>Weekly capacity binds: a fresh directory so choices here do not disturb other tests.</summary>
public sealed class CapacityTests
{
    [Test]
    public async Task A_therapist_whose_weekly_places_are_taken_is_excluded_until_next_week()
    {
        using var factory = new MatchingApiFactory();
        await factory.ImportDirectoryAsync();
        using var directory = factory.ClientFor(Role.Directory);

        // t-cbt-ny takes 2 new clients a week.
        for (var i = 0; i < 2; i++)
        {
            var m = await (await directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request($"c-cap-{i}"))).Content.ReadFromJsonAsync<JsonObject>();
            var chose = await directory.PostAsJsonAsync($"/v1/matches/{m!["matchId"]}/choice", new { therapistId = "t-cbt-ny" });
            Assert.That(chose.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        var full = await (await directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request("c-cap-3"))).Content.ReadFromJsonAsync<JsonObject>();
        factory.Clock.Now = factory.Clock.Now.AddDays(7);
        var nextWeek = await (await directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request("c-cap-4"))).Content.ReadFromJsonAsync<JsonObject>();

        Assert.Multiple(() =>
        {
            Assert.That(full!["therapists"]!.AsArray().Select(t => (string)t!["therapistId"]!), Does.Not.Contain("t-cbt-ny"));
            Assert.That((int)full["excludedBy"]!["accepting"]!, Is.EqualTo(2), "t-full-ny and the full t-cbt-ny");
            Assert.That((string)nextWeek!["therapists"]![0]!["therapistId"]!, Is.EqualTo("t-cbt-ny"));
        });
    }
}
