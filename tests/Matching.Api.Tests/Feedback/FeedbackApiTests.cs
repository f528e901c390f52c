using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Matching.Api.Tests.Feedback;

public sealed class FeedbackApiTests : DirectoryFixture
{
    private async Task<string> NewMatchAsync(string clientId)
    {
        var match = await (await DirectoryClient.PostAsJsonAsync("/v1/matches", TestDirectory.Request(clientId))).Content.ReadFromJsonAsync<JsonObject>();
        return (string)match!["matchId"]!;
    }

    [Test]
    public async Task A_wai_sr_rating_is_normalised_to_goal_task_and_bond()
    {
        var matchId = await NewMatchAsync("c-rate-1");
        // Task items 1,2,10,12 = 5; Bond 3,5,7,9 = 3; Goal 4,6,8,11 = 1.
        int[] items = [5, 5, 3, 1, 3, 1, 3, 1, 3, 5, 1, 5];

        var response = await IntakeClient.PostAsJsonAsync("/v1/alliance-ratings", new { matchId, therapistId = "t-cbt-ny", instrument = "waiSr", items, sessionNumber = 3 });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.Multiple(() =>
        {
            Assert.That((double)body["task"]!, Is.EqualTo(1.0));
            Assert.That((double)body["bond"]!, Is.EqualTo(0.5));
            Assert.That((double)body["goal"]!, Is.EqualTo(0.0));
            Assert.That((double)body["overall"]!, Is.EqualTo(0.5));
        });
    }

    [TestCase("waiS", 28.0, 16.0, 4.0, 1.0, 0.5, 0.0)]
    [TestCase("srs", 10.0, 5.0, 0.0, 1.0, 0.5, 0.0)]
    [TestCase("waiSr", 20.0, 12.0, 4.0, 1.0, 0.5, 0.0)]
    public async Task Subscale_totals_of_each_instrument_are_normalised(string instrument, double goal, double task, double bond, double goalN, double taskN, double bondN)
    {
        var matchId = await NewMatchAsync($"c-sub-{instrument}");

        var response = await IntakeClient.PostAsJsonAsync("/v1/alliance-ratings", new { matchId, therapistId = "t-cbt-ny", instrument, subscales = new { goal, task, bond }, sessionNumber = 4 });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        Assert.That(new[] { (double)body["goal"]!, (double)body["task"]!, (double)body["bond"]! }, Is.EqualTo(new[] { goalN, taskN, bondN }));
    }

    private static IEnumerable<TestCaseData> InvalidRatings()
    {
        var twelve = Enumerable.Repeat(4, 12).ToArray();
        yield return new TestCaseData("instrument", new { therapistId = "t-cbt-ny", items = twelve, sessionNumber = 3 }).SetArgDisplayNames("no instrument");
        yield return new TestCaseData("items", new { therapistId = "t-cbt-ny", instrument = "waiSr", items = new[] { 4, 4 }, sessionNumber = 3 }).SetArgDisplayNames("too few items");
        yield return new TestCaseData("items[0]", new { therapistId = "t-cbt-ny", instrument = "waiSr", items = new[] { 6, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4 }, sessionNumber = 3 }).SetArgDisplayNames("item out of range");
        yield return new TestCaseData("items", new { therapistId = "t-cbt-ny", instrument = "srs", sessionNumber = 3 }).SetArgDisplayNames("neither items nor subscales");
        yield return new TestCaseData("subscales.bond", new { therapistId = "t-cbt-ny", instrument = "srs", subscales = new { goal = 5, task = 5, bond = 11 }, sessionNumber = 3 }).SetArgDisplayNames("subscale out of range");
        yield return new TestCaseData("sessionNumber", new { therapistId = "t-cbt-ny", instrument = "waiSr", items = twelve }).SetArgDisplayNames("no session");
        yield return new TestCaseData("therapistId", new { instrument = "waiSr", items = twelve, sessionNumber = 3 }).SetArgDisplayNames("no therapist");
        yield return new TestCaseData("therapistId", new { therapistId = "t-psy-ny", instrument = "waiSr", items = twelve, sessionNumber = 3 }).SetArgDisplayNames("therapist not on the shortlist");
    }

    [TestCaseSource(nameof(InvalidRatings))]
    public async Task An_invalid_rating_is_a_400_naming_the_field_and_stores_nothing(string field, object rating)
    {
        var matchId = await NewMatchAsync("c-bad-rating");
        var json = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(rating))!.AsObject();
        json["matchId"] = matchId;

        var response = await IntakeClient.PostAsJsonAsync("/v1/alliance-ratings", json);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), problem.ToJsonString());
        Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Has.Member(field));
        Assert.That(await CountAsync("alliance_rating", "shortlist_id = @Id", new { Id = matchId }), Is.Zero);

        // The same query sees a valid rating of the same match.
        var valid = await IntakeClient.PostAsJsonAsync("/v1/alliance-ratings", new { matchId, therapistId = "t-cbt-ny", instrument = "waiSr", items = Enumerable.Repeat(4, 12), sessionNumber = 3 });
        Assert.That(valid.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await CountAsync("alliance_rating", "shortlist_id = @Id", new { Id = matchId }), Is.EqualTo(1));
    }

    [TestCase("neither", "srs", "Send the srs rating as items (4 item scores) or as subscales")]
    [TestCase("both", "waiSr", "Send either items or subscales, not both.")]
    public async Task A_rating_says_which_of_items_and_subscales_is_wrong(string sent, string instrument, string says)
    {
        var matchId = await NewMatchAsync($"c-rating-{sent}");
        var json = new JsonObject { ["matchId"] = matchId, ["therapistId"] = "t-cbt-ny", ["instrument"] = instrument, ["sessionNumber"] = 3 };
        if (sent == "both")
        {
            json["items"] = new JsonArray([.. Enumerable.Range(0, 12).Select(_ => (JsonNode?)4)]);
            json["subscales"] = new JsonObject { ["goal"] = 16, ["task"] = 16, ["bond"] = 16 };
        }

        var response = await IntakeClient.PostAsJsonAsync("/v1/alliance-ratings", json);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), problem.ToJsonString());
        Assert.That((string)problem["errors"]!["items"]![0]!, Is.EqualTo(says).Or.StartWith(says));
    }

    [Test]
    public async Task Feedback_for_an_unknown_match_is_a_404()
    {
        var rating = await IntakeClient.PostAsJsonAsync("/v1/alliance-ratings", new { matchId = Guid.NewGuid(), therapistId = "t-cbt-ny", instrument = "waiSr", items = Enumerable.Repeat(4, 12), sessionNumber = 3 });
        var outcome = await IntakeClient.PostAsJsonAsync("/v1/outcome-events", new { matchId = Guid.NewGuid(), therapistId = "t-cbt-ny", kind = "completed" });

        Assert.That(rating.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(outcome.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Outcome_events_are_recorded_and_a_dropout_needs_its_session()
    {
        var matchId = await NewMatchAsync("c-outcome-1");

        var dropout = await IntakeClient.PostAsJsonAsync("/v1/outcome-events", new { matchId, therapistId = "t-cbt-ny", kind = "dropout", sessionNumber = 2 });
        var rematch = await IntakeClient.PostAsJsonAsync("/v1/outcome-events", new { matchId, therapistId = "t-cbt-ny", kind = "rematch" });
        var noSession = await IntakeClient.PostAsJsonAsync("/v1/outcome-events", new { matchId, therapistId = "t-cbt-ny", kind = "dropout" });
        var badKind = await IntakeClient.PostAsJsonAsync("/v1/outcome-events", new { matchId, therapistId = "t-cbt-ny", kind = "vanished" });

        Assert.Multiple(async () =>
        {
            Assert.That(dropout.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(rematch.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(noSession.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await noSession.Content.ReadAsStringAsync(), Does.Contain("sessionNumber"));
            Assert.That(badKind.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await badKind.Content.ReadAsStringAsync(), Does.Contain("dropout, rematch, completed"));
        });
    }

    [Test]
    public async Task Ratings_build_the_therapists_track_record_that_the_next_match_explains()
    {
        for (var i = 0; i < 12; i++)
        {
            var matchId = await NewMatchAsync($"c-track-{i}");
            var r = await IntakeClient.PostAsJsonAsync("/v1/alliance-ratings", new { matchId, therapistId = "t-emdr-ny", instrument = "waiSr", items = Enumerable.Repeat(5, 12), sessionNumber = 3 });
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }

        var match = await (await DirectoryClient.PostAsJsonAsync("/v1/matches", TestDirectory.Request("c-track-after"))).Content.ReadFromJsonAsync<JsonObject>();
        var emdr = match!["therapists"]!.AsArray().Single(t => (string)t!["therapistId"]! == "t-emdr-ny")!;

        Assert.That(emdr["reasons"]!.AsArray().Select(r => (string)r!), Has.Some.StartsWith("clients report a strong working alliance (12 ratings)"));
    }
}
