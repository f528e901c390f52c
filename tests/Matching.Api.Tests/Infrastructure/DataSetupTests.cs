using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;

namespace Matching.Api.Tests.Infrastructure;

public sealed class DataSetupTests
{
    private string _path = null!;

    [SetUp]
    public void NewFile() => _path = Path.Combine(Path.GetTempPath(), $"matching-restart-{Guid.NewGuid():N}.db");

    [TearDown]
    public void DeleteFile()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }
    }

    [Test]
    public async Task Data_survives_a_restart_of_the_app()
    {
        string matchId;
        using (var first = new MatchingApiFactory(_path))
        {
            await first.ImportDirectoryAsync();
            using var directory = first.ClientFor(Role.Directory);
            var match = await (await directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request("c-restart"))).Content.ReadFromJsonAsync<JsonObject>();
            matchId = (string)match!["matchId"]!;
            await directory.PostAsJsonAsync($"/v1/matches/{matchId}/choice", new { therapistId = "t-cbt-ny" });
        }

        using var second = new MatchingApiFactory(_path);
        using var intake = second.ClientFor(Role.Intake);
        var stored = await intake.GetFromJsonAsync<JsonObject>($"/v1/matches/{matchId}");
        var therapists = await intake.GetFromJsonAsync<JsonObject>("/v1/therapists?active=any");

        Assert.That((string)stored!["chosenTherapistId"]!, Is.EqualTo("t-cbt-ny"));
        Assert.That((int)therapists!["total"]!, Is.EqualTo(TestDirectory.All.Count));
    }

    [Test]
    public async Task First_start_seeds_the_deterministic_demo_directory_and_a_second_start_keeps_the_data()
    {
        var demo = new Dictionary<string, string> { ["Matching:Demo:Enabled"] = "true", ["Matching:Demo:Therapists"] = "40", ["Matching:Demo:Clients"] = "0" };
        JsonObject? firstPage;
        using (var first = new MatchingApiFactory(_path, demo))
        {
            using var data = first.ClientFor(Role.Data);
            firstPage = await data.GetFromJsonAsync<JsonObject>("/v1/therapists?pageSize=200");
            await data.PostAsync($"/v1/therapists/{(string)firstPage!["items"]![0]!["profile"]!["id"]!}/deactivate", null);
        }

        using var second = new MatchingApiFactory(_path, demo);
        using var intake = second.ClientFor(Role.Intake);
        var all = await intake.GetFromJsonAsync<JsonObject>("/v1/therapists?active=any&pageSize=200");
        var active = await intake.GetFromJsonAsync<JsonObject>("/v1/therapists?pageSize=200");

        Assert.Multiple(() =>
        {
            Assert.That((int)firstPage["total"]!, Is.EqualTo(40));
            Assert.That((int)all!["total"]!, Is.EqualTo(40), "not seeded twice");
            Assert.That((int)active!["total"]!, Is.EqualTo(39), "the deactivation was kept");
        });
    }
}
