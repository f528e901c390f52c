using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;
using Matching.Data;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Api.Tests.Clients;

public sealed class ClientsApiTests
{
    [Test]
    public async Task Erasure_removes_everything_about_the_client_and_nothing_about_others()
    {
        using var factory = new MatchingApiFactory();
        await factory.ImportDirectoryAsync();
        using var directory = factory.ClientFor(Role.Directory);
        using var intake = factory.ClientFor(Role.Intake);
        using var data = factory.ClientFor(Role.Data);

        async Task<string> HistoryAsync(string clientId)
        {
            var match = await (await directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request(clientId))).Content.ReadFromJsonAsync<JsonObject>();
            var id = (string)match!["matchId"]!;
            await directory.PostAsJsonAsync($"/v1/matches/{id}/choice", new { therapistId = "t-cbt-ny" });
            await intake.PostAsJsonAsync("/v1/alliance-ratings", new { matchId = id, therapistId = "t-cbt-ny", instrument = "waiSr", items = Enumerable.Repeat(4, 12), sessionNumber = 3 });
            await intake.PostAsJsonAsync("/v1/outcome-events", new { matchId = id, therapistId = "t-cbt-ny", kind = "completed", sessionNumber = 8 });
            return id;
        }

        var erasedMatch = await HistoryAsync("c-erase-me");
        var keptMatch = await HistoryAsync("c-keep-me");
        var store = factory.Services.GetRequiredService<ClientStore>();
        Assert.That(await store.CountRowsAsync("c-erase-me"), Is.EqualTo(3), "shortlist, rating, outcome");

        var response = await data.DeleteAsync("/v1/clients/c-erase-me");
        var report = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((int)report!["shortlists"]!, Is.EqualTo(1));
            Assert.That((int)report["choices"]!, Is.EqualTo(1));
            Assert.That((int)report["ratings"]!, Is.EqualTo(1));
            Assert.That((int)report["outcomeEvents"]!, Is.EqualTo(1));
            Assert.That((int)report["shortlistItems"]!, Is.EqualTo(2));
            Assert.That(await store.CountRowsAsync("c-erase-me"), Is.Zero);
            Assert.That((await intake.GetAsync($"/v1/matches/{erasedMatch}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await store.CountRowsAsync("c-keep-me"), Is.EqualTo(3));
            Assert.That((await intake.GetAsync($"/v1/matches/{keptMatch}")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
        var again = await (await data.DeleteAsync("/v1/clients/c-erase-me")).Content.ReadFromJsonAsync<JsonObject>();
        Assert.That((int)again!["total"]!, Is.Zero, "erasure is idempotent");
    }

    [Test]
    public async Task Erasure_needs_a_valid_pseudonymous_id()
    {
        using var factory = new MatchingApiFactory();
        using var data = factory.ClientFor(Role.Data);

        var response = await data.DeleteAsync("/v1/clients/jane%40example.org");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("clientId"));
    }
}
