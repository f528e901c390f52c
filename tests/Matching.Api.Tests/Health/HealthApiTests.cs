using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Matching.Api.Tests.Health;

public sealed class HealthApiTests
{
    [Test]
    public async Task Ready_reports_the_database_schema_and_the_serving_model()
    {
        using var factory = new MatchingApiFactory();
        using var client = factory.CreateClient();

        var live = await client.GetAsync("/health/live");
        var ready = await client.GetFromJsonAsync<JsonObject>("/health/ready");

        Assert.Multiple(() =>
        {
            Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string)ready!["status"]!, Is.EqualTo("Healthy"));
            Assert.That((string)ready["checks"]!["database"]!["detail"]!, Does.StartWith("Sqlite, schema at migration"));
            Assert.That((string)ready["checks"]!["ranker"]!["detail"]!, Is.EqualTo("model rule-based/1"));
        });
    }
}
