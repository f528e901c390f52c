using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Matching.Api.Infrastructure;
using OpenTelemetry.Trace;

namespace Matching.Api.Tests.Infrastructure;

public sealed class TelemetryTests
{
    private const string ClientId = "c-telemetry-7f3a9";

    [Test]
    public async Task Metrics_count_a_match_by_model_version_and_name_no_client()
    {
        using var factory = new MatchingApiFactory();
        await factory.ImportDirectoryAsync();
        using var directory = factory.ClientFor(Role.Directory);
        using var data = factory.ClientFor(Role.Data);

        var match = await directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request(ClientId));
        Assert.That(match.StatusCode, Is.EqualTo(HttpStatusCode.OK), await match.Content.ReadAsStringAsync());
        var response = await data.GetAsync("/metrics");
        var metrics = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), metrics);
            Assert.That(Sample(metrics, "matching_matches_total", "model_version=\"rule-based/1\""), Is.EqualTo(1), metrics);
            Assert.That(Sample(metrics, "matching_match_duration_seconds_count", "model_version=\"rule-based/1\""), Is.EqualTo(1));
            Assert.That(Sample(metrics, "matching_match_eligible_count"), Is.EqualTo(1));
            Assert.That(Sample(metrics, "matching_match_eligible_sum"), Is.EqualTo(2), "t-cbt-ny and t-emdr-ny are eligible");
            Assert.That(Sample(metrics, "http_server_request_duration_seconds_count", "http_route=\"/v1/matches/\""), Is.EqualTo(1), "ASP.NET Core instrumentation");
            Assert.That(metrics, Does.Not.Contain(ClientId));
            Assert.That(metrics, Does.Not.Contain("t-cbt-ny"), "no therapist either");
        });
    }

    [Test]
    public async Task Metrics_count_feedback_by_kind()
    {
        using var factory = new MatchingApiFactory();
        await factory.ImportDirectoryAsync();
        using var directory = factory.ClientFor(Role.Directory);
        using var data = factory.ClientFor(Role.Data);
        var match = await (await directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request(ClientId))).Content.ReadFromJsonAsync<MatchAnswer>();

        var choice = await directory.PostAsJsonAsync($"/v1/matches/{match!.MatchId}/choice", new { therapistId = "t-cbt-ny" });
        Assert.That(choice.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var metrics = await data.GetStringAsync("/metrics");

        Assert.Multiple(() =>
        {
            Assert.That(Sample(metrics, "matching_feedback_total", "kind=\"choice\""), Is.EqualTo(1), metrics);
            Assert.That(Sample(metrics, "matching_feedback_total", "kind=\"rating\""), Is.Null, "nothing rated");
        });
    }

    [Test]
    public async Task Metrics_are_for_the_data_role_only()
    {
        using var factory = new MatchingApiFactory();
        using var anonymous = factory.CreateClient();
        using var directory = factory.ClientFor(Role.Directory);
        using var intake = factory.ClientFor(Role.Intake);

        Assert.Multiple(async () =>
        {
            Assert.That((await anonymous.GetAsync("/metrics")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That((await directory.GetAsync("/metrics")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await intake.GetAsync("/metrics")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
    }

    [Test]
    public async Task A_metrics_port_serves_metrics_alone_without_a_key_and_the_api_port_no_longer_does()
    {
        var (apiPort, metricsPort) = (FreePort(), FreePort());
        using var factory = new MatchingApiFactory(settings: new Dictionary<string, string> { ["Matching:Telemetry:MetricsPort"] = metricsPort.ToString(CultureInfo.InvariantCulture) });
        factory.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, apiPort);
            o.Listen(IPAddress.Loopback, metricsPort);
        });
        factory.StartServer();
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}") };
        api.DefaultRequestHeaders.Add("X-Api-Key", MatchingApiFactory.Keys[Role.Data]);
        using var scraper = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        Assert.That((await api.PostAsJsonAsync("/v1/therapists/import", new { therapists = TestDirectory.All }, MatchingApiFactory.Json)).IsSuccessStatusCode, Is.True);

        Assert.That((await api.PostAsJsonAsync("/v1/matches", TestDirectory.Request(ClientId))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var scrape = await scraper.GetAsync("/metrics");
        var metrics = await scrape.Content.ReadAsStringAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(scrape.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Sample(metrics, "matching_matches_total", "model_version=\"rule-based/1\""), Is.EqualTo(1), metrics);
            Assert.That((await api.GetAsync("/metrics")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "not on the API's port, even to the data role");
            Assert.That((await scraper.GetAsync("/v1/therapists")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the metrics port serves nothing else");
            Assert.That((await scraper.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Spans_name_routes_and_carry_no_client_id_or_request_value()
    {
        var spans = new List<Activity>();
        using var factory = new MatchingApiFactory(settings: new Dictionary<string, string> { ["Matching:Telemetry:Tracing"] = "true" });
        using var traced = factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans))));
        using var directory = traced.CreateClient();
        directory.DefaultRequestHeaders.Add("X-Api-Key", MatchingApiFactory.Keys[Role.Directory]);
        using var data = traced.CreateClient();
        data.DefaultRequestHeaders.Add("X-Api-Key", MatchingApiFactory.Keys[Role.Data]);
        var import = await data.PostAsJsonAsync("/v1/therapists/import", new { therapists = TestDirectory.All }, MatchingApiFactory.Json);
        Assert.That(import.IsSuccessStatusCode, Is.True);

        Assert.That((await directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request(ClientId))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await data.GetAsync("/v1/therapists?region=us-ny&language=en")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await data.DeleteAsync($"/v1/clients/{ClientId}")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await data.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        // A span ends just after its response is sent: wait for the last one.
        var deadline = Stopwatch.StartNew();
        while (Snapshot(spans).Count < 4 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        var ended = Snapshot(spans);
        var values = ended.SelectMany(s => s.TagObjects.Select(t => $"{t.Key}={t.Value}").Append(s.DisplayName)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(ended.Select(s => s.DisplayName), Is.SupersetOf(new[] { "POST /v1/matches/", "GET /v1/therapists/", "DELETE /v1/clients/{clientId}" }));
            Assert.That(ended.Select(s => s.GetTagItem("url.path")), Has.Some.EqualTo("/v1/clients/{clientId}"));
            Assert.That(values, Has.None.Contain(ClientId));
            Assert.That(values, Has.None.Contain("us-ny"), "no query value");
            Assert.That(ended.SelectMany(s => s.TagObjects.Select(t => t.Key)), Has.None.EqualTo("client.address").And.None.EqualTo("user_agent.original").And.None.EqualTo("url.query"));
            Assert.That(ended.Select(s => s.DisplayName), Has.None.Contain("/health"), "probes are not traced");
        });
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The exporter adds from the server's threads; ToArray copies without enumerating.
    private static List<Activity> Snapshot(List<Activity> spans) => [.. spans.ToArray()];

    /// <summary>The value of the sample of <paramref name="name"/> whose labels contain <paramref name="label"/>, or null.</summary>
    private static double? Sample(string exposition, string name, string label = "")
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal) && !line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                continue;
            }

            var labelsEnd = line.LastIndexOf('}');
            var labels = labelsEnd < 0 ? "" : line[..labelsEnd];
            if (labels.Contains(label, StringComparison.Ordinal))
            {
                return double.Parse(line[(labelsEnd + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private sealed record MatchAnswer(Guid MatchId);
}
