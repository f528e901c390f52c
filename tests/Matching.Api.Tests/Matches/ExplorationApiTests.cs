using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;
using Matching.Api.Ranking;
using Matching.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;

namespace Matching.Api.Tests.Matches;

/// <summary>The served exploration slot through real HTTP, and the propensities it stores.</summary>
public sealed class ExplorationApiTests
{
    [Test]
    public async Task A_match_with_exploration_on_stores_each_items_propensity_and_whether_it_was_explored()
    {
        // ε = 0.5 with a seeded draw; a one-place shortlist for a client with two eligible,
        // unrated therapists: the other one is the only candidate (n = 1), so the propensity of the
        // shown item is 1 − ε when kept and ε / 1 when explored: 0.5 either way.
        using var root = new MatchingApiFactory(settings: new Dictionary<string, string> { ["Matching:Exploration:Share"] = "0.5" });
        await root.ImportDirectoryAsync();
        using var factory = root.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
            s.AddSingleton(sp => new ExplorationSlot(sp.GetRequiredService<IOptions<ExplorationOptions>>(), new Random(11)))));
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", MatchingApiFactory.Keys[Role.Directory]);
        var store = factory.Services.GetRequiredService<ShortlistStore>();

        var shown = new List<(string TherapistId, double? Propensity, bool Explored)>();
        for (var k = 0; k < 30; k++)
        {
            var request = TestDirectory.Request($"c-explore-{k}");
            request["limit"] = 1;
            var response = await client.PostAsJsonAsync("/v1/matches", request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
            var id = Guid.Parse((string)JsonNode.Parse(body)!["matchId"]!);
            var item = (await store.GetAsync(id))!.Value.Shortlist.Items.Single();
            shown.Add((item.TherapistId, item.Propensity, item.Explored));
        }

        Assert.Multiple(() =>
        {
            Assert.That(shown.Select(s => s.Propensity), Is.All.EqualTo(0.5));
            Assert.That(shown.Where(s => s.Explored).Select(s => s.TherapistId), Is.Not.Empty.And.All.EqualTo("t-emdr-ny"), "the therapist the ranking left out");
            Assert.That(shown.Where(s => !s.Explored).Select(s => s.TherapistId), Is.Not.Empty.And.All.EqualTo("t-cbt-ny"), "the deterministic first");
        });
    }

    [Test]
    public async Task Exploration_off_stores_propensity_one_for_every_item()
    {
        using var factory = new MatchingApiFactory();
        await factory.ImportDirectoryAsync();
        using var client = factory.ClientFor(Role.Directory);

        var response = await client.PostAsJsonAsync("/v1/matches", TestDirectory.Request("c-explore-off"));
        var id = Guid.Parse((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["matchId"]!);

        var items = (await factory.Services.GetRequiredService<ShortlistStore>().GetAsync(id))!.Value.Shortlist.Items;
        Assert.That(items.Select(i => (i.Propensity, i.Explored)), Is.All.EqualTo(((double?)1.0, false)));
        Assert.That(items, Has.Count.EqualTo(2));
    }

    [TestCase("0.6")]
    [TestCase("-0.1")]
    public void A_share_out_of_range_stops_the_start(string share)
    {
        using var factory = new MatchingApiFactory(settings: new Dictionary<string, string> { ["Matching:Exploration:Share"] = share });
        // ConfigurationIsValid prints the failed rule and Program returns before the host runs.
        Assert.That(() => factory.CreateClient(), Throws.InvalidOperationException.With.Message.Contains("has not been started"));
    }
}
