using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;

namespace Matching.Api.Tests.Capacity;

/// <summary>
/// Capacity prices end to end: last week's requests, more than the New York therapists' places,
/// forecast this week's demand; solving prices puts them into the snapshot, the data role sees
/// them, and matches rank by score minus price.
/// </summary>
public sealed class CapacityApiTests
{
    private MatchingApiFactory _factory = null!;
    private HttpClient _directory = null!;
    private HttpClient _data = null!;

    [SetUp]
    public async Task SetUp()
    {
        // One week of forecast, so last week's twelve requests meet this week's eight places.
        _factory = new MatchingApiFactory(settings: new Dictionary<string, string> { ["Matching:Capacity:Pricing:WindowWeeks"] = "1" });
        await _factory.ImportDirectoryAsync();
        _directory = _factory.ClientFor(Role.Directory);
        _data = _factory.ClientFor(Role.Data);
    }

    [TearDown]
    public void TearDown()
    {
        _directory.Dispose();
        _data.Dispose();
        _factory.Dispose();
    }

    private async Task<JsonObject> MatchAsync(string clientId)
    {
        var response = await _directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request(clientId));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static Dictionary<string, double> Scores(JsonObject match) =>
        match["therapists"]!.AsArray().ToDictionary(t => (string)t!["therapistId"]!, t => (double)t!["score"]!);

    [Test]
    public async Task Prices_solved_on_last_weeks_demand_show_in_the_report_and_lower_the_scores_of_the_therapists_in_demand()
    {
        // Twelve requests this week for New York therapists with eight places between them.
        var before = await MatchAsync("c-week-1-00");
        for (var i = 1; i < 12; i++)
        {
            await MatchAsync($"c-week-1-{i:00}");
        }

        Assert.That((await (await _data.GetAsync("/v1/capacity")).Content.ReadFromJsonAsync<JsonObject>())!["modelVersion"], Is.Null, "no prices before the first solve");

        // A week later (minus a minute, so all twelve fall in the forecast of the rest of this week), solve.
        _factory.Clock.Now += TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);
        var solved = await _data.PostAsync("/v1/capacity/prices", null);
        Assert.That(solved.StatusCode, Is.EqualTo(HttpStatusCode.OK), await solved.Content.ReadAsStringAsync());
        var report = (await solved.Content.ReadFromJsonAsync<JsonObject>())!;
        var prices = report["therapists"]!.AsArray().ToDictionary(t => (string)t!["therapistId"]!, t => (double)t!["price"]!);
        TestContext.Out.WriteLine(report.ToJsonString());

        Assert.That((string?)report["modelVersion"], Is.EqualTo((string?)report["servingModelVersion"]));
        Assert.That(prices.Values, Is.All.GreaterThanOrEqualTo(0));
        Assert.That(prices["t-cbt-ca"], Is.Zero, "no one asked for California");
        var first = Scores(before).MaxBy(kv => kv.Value).Key;
        Assert.That(prices[first], Is.GreaterThan(0), "the therapist everyone's first choice was is priced");

        var after = Scores(await MatchAsync("c-week-2-00"));
        foreach (var (id, score) in Scores(before))
        {
            Assert.That(after[id], Is.EqualTo(score - prices[id]).Within(1e-5), id);
        }

        var stored = await _data.GetFromJsonAsync<JsonObject>("/v1/capacity");
        Assert.That((string?)stored!["solvedAt"], Is.Not.Null);
    }

    [Test]
    public async Task The_capacity_report_is_for_the_data_role_only()
    {
        using var intake = _factory.ClientFor(Role.Intake);

        Assert.That((await intake.GetAsync("/v1/capacity")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await _directory.PostAsync("/v1/capacity/prices", null)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await _data.GetAsync("/v1/capacity")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
