using System.Net;
using System.Net.Http.Json;
using System.Text;
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
    public async Task Erasure_leaves_no_trace_of_the_client_in_the_database_files()
    {
        using var factory = new MatchingApiFactory();
        await factory.ImportDirectoryAsync();
        using var directory = factory.ClientFor(Role.Directory);
        using var intake = factory.ClientFor(Role.Intake);
        using var data = factory.ClientFor(Role.Data);

        async Task<string> HistoryAsync(string clientId, string background)
        {
            var request = TestDirectory.Request(clientId);
            request["culture"] = new { backgrounds = new[] { background }, importance = "high" };
            var response = await directory.PostAsJsonAsync("/v1/matches", request);
            Assert.That(response.IsSuccessStatusCode, Is.True, await response.Content.ReadAsStringAsync());
            var id = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["matchId"]!;
            await directory.PostAsJsonAsync($"/v1/matches/{id}/choice", new { therapistId = "t-cbt-ny" });
            await intake.PostAsJsonAsync("/v1/alliance-ratings", new { matchId = id, therapistId = "t-cbt-ny", instrument = "waiSr", items = Enumerable.Repeat(4, 12), sessionNumber = 3 });
            await intake.PostAsJsonAsync("/v1/outcome-events", new { matchId = id, therapistId = "t-cbt-ny", kind = "dropout", sessionNumber = 2 });
            return id;
        }

        // The erased client's rows sit between other clients' on the same pages, before and after
        // pages split, as they do in a live database.
        var erased = new List<string>();
        var kept = new List<string>();
        for (var i = 0; i < 120; i++)
        {
            kept.Add(await HistoryAsync($"c-keep-{i:D3}", "kept-background"));
            if (i % 40 == 20)
            {
                erased.Add(await HistoryAsync("c-erase-me-5k2q", "erased-background"));
            }
        }

        var response = await data.DeleteAsync("/v1/clients/c-erase-me-5k2q");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());

        // The files as they are on disk while the service keeps running.
        var bytes = new[] { "", "-wal", "-shm" }
            .Select(suffix => factory.DatabasePath + suffix)
            .Where(File.Exists)
            .SelectMany(ReadShared)
            .ToArray();
        int Occurrences(string text) => Count(bytes, Encoding.UTF8.GetBytes(text));

        Assert.Multiple(() =>
        {
            Assert.That(Occurrences("c-erase-me-5k2q"), Is.Zero, "the client id");
            foreach (var id in erased)
            {
                Assert.That(Occurrences(id), Is.Zero, $"shortlist id {id}");
            }

            Assert.That(Occurrences("erased-background"), Is.Zero, "a fragment of the stored request");
            Assert.That(Occurrences("c-keep-119"), Is.Positive, "the scan finds what is still stored");
            Assert.That(Occurrences(kept[^1]), Is.Positive, "the scan finds a kept shortlist id");
            Assert.That(Occurrences("kept-background"), Is.Positive, "the scan finds a kept request");
        });
    }

    [Test]
    public async Task An_erasure_that_cannot_clear_the_log_yet_is_a_503_and_repeating_it_clears_the_files()
    {
        using var factory = new MatchingApiFactory(settings: new Dictionary<string, string> { ["Matching:Database:CheckpointPatience"] = "00:00:00.2" });
        await factory.ImportDirectoryAsync();
        using var directory = factory.ClientFor(Role.Directory);
        using var data = factory.ClientFor(Role.Data);
        var request = TestDirectory.Request("c-pinned-7hq");
        Assert.That((await directory.PostAsJsonAsync("/v1/matches", request)).IsSuccessStatusCode, Is.True);

        HttpResponseMessage blocked;
        using (var reader = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={factory.DatabasePath};Pooling=False"))
        {
            // A long read (another process's training run, say) keeps using the log.
            reader.Open();
            using var begin = reader.CreateCommand();
            begin.CommandText = "BEGIN DEFERRED; SELECT COUNT(*) FROM shortlist;";
            begin.ExecuteScalar();
            blocked = await data.DeleteAsync("/v1/clients/c-pinned-7hq");
        }

        var repeated = await data.DeleteAsync("/v1/clients/c-pinned-7hq");
        var store = factory.Services.GetRequiredService<ClientStore>();

        Assert.Multiple(async () =>
        {
            Assert.That(blocked.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(blocked.Headers.RetryAfter, Is.Not.Null);
            Assert.That(blocked.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(await blocked.Content.ReadAsStringAsync(), Does.Not.Contain("c-pinned-7hq"));
            Assert.That(await store.CountRowsAsync("c-pinned-7hq"), Is.Zero, "the rows went at the first request");
            Assert.That(repeated.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Count(ReadShared(factory.DatabasePath + "-wal"), Encoding.UTF8.GetBytes("c-pinned-7hq")), Is.Zero);
        });
    }

    private static byte[] ReadShared(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        file.CopyTo(copy);
        return copy.ToArray();
    }

    private static int Count(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        var count = 0;
        for (var at = haystack.IndexOf(needle); at >= 0; at = haystack.IndexOf(needle))
        {
            count++;
            haystack = haystack[(at + needle.Length)..];
        }

        return count;
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
