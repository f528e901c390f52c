using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;

namespace Matching.Api.Tests.Infrastructure;

public sealed class ApiKeyAuthenticationTests
{
    private MatchingApiFactory _factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _factory = new MatchingApiFactory();
        await _factory.ImportDirectoryAsync();
    }

    [OneTimeTearDown]
    public void Stop() => _factory.Dispose();

    // Every endpoint, the least role it needs, and a request that is otherwise fine or at least valid to route.
    private static readonly (string Method, string Path, Role Least)[] Endpoints =
    [
        ("POST", "/v1/matches", Role.Directory),
        ("POST", $"/v1/matches/{Guid.Empty}/choice", Role.Directory),
        ("GET", $"/v1/matches/{Guid.Empty}", Role.Intake),
        ("POST", "/v1/alliance-ratings", Role.Intake),
        ("POST", "/v1/outcome-events", Role.Intake),
        ("GET", "/v1/therapists", Role.Intake),
        ("GET", "/v1/therapists/t-cbt-ny", Role.Intake),
        ("PUT", "/v1/therapists/t-new", Role.Data),
        ("POST", "/v1/therapists/t-cbt-ny/deactivate", Role.Data),
        ("POST", "/v1/therapists/import", Role.Data),
        ("DELETE", "/v1/clients/c-nobody", Role.Data),
        ("GET", "/v1/vocabularies", Role.Directory),
    ];

    private static IEnumerable<TestCaseData> EndpointCases() =>
        Endpoints.Select(e => new TestCaseData(e.Method, e.Path, e.Least).SetArgDisplayNames($"{e.Method} {e.Path}"));

    private static HttpRequestMessage Request(string method, string path, string? key)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
        {
            request.Content = JsonContent.Create(new { });
        }

        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return request;
    }

    [TestCaseSource(nameof(EndpointCases))]
    public async Task Without_a_key_every_endpoint_answers_401_problem(string method, string path, Role least)
    {
        using var client = _factory.CreateClient();
        var response = await client.SendAsync(Request(method, path, null));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
    }

    [TestCaseSource(nameof(EndpointCases))]
    public async Task A_wrong_key_answers_401(string method, string path, Role least)
    {
        using var client = _factory.CreateClient();
        var response = await client.SendAsync(Request(method, path, "not-a-real-key-000000000000"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCaseSource(nameof(EndpointCases))]
    public async Task Each_role_reaches_exactly_what_it_needs(string method, string path, Role least)
    {
        foreach (var role in Enum.GetValues<Role>())
        {
            using var client = _factory.CreateClient();
            var response = await client.SendAsync(Request(method, path, MatchingApiFactory.Keys[role]));

            if (role < least)
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), $"{role} must not reach it");
                Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
            }
            else
            {
                Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.Forbidden).And.Not.EqualTo(HttpStatusCode.Unauthorized), $"{role} must reach it");
            }
        }
    }

    [Test]
    public async Task Health_and_swagger_are_open_to_probes_and_readers()
    {
        using var client = _factory.CreateClient();

        Assert.That((await client.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await client.GetAsync("/swagger/v1/swagger.json")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}

public sealed class RateLimitTests
{
    [Test]
    public async Task Past_its_burst_a_key_gets_429_with_retry_after_while_other_keys_are_served()
    {
        using var factory = new MatchingApiFactory(settings: new Dictionary<string, string>
        {
            ["Matching:RateLimit:PermitsPerSecond"] = "1",
            ["Matching:RateLimit:Burst"] = "3",
        });
        using var intake = factory.ClientFor(Role.Intake);
        using var data = factory.ClientFor(Role.Data);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 6; i++)
        {
            var response = await intake.GetAsync("/v1/therapists");
            statuses.Add(response.StatusCode);
            limited ??= response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.That(statuses, Has.Some.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(statuses.Take(3), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(limited!.Headers.RetryAfter, Is.Not.Null);
        Assert.That(limited.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await data.GetAsync("/v1/therapists")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "another key has its own bucket");
        var problem = JsonNode.Parse(await limited.Content.ReadAsStringAsync())!;
        Assert.That((int)problem["status"]!, Is.EqualTo(429));
    }

    [Test]
    public async Task Health_probes_are_never_rate_limited_even_when_their_address_is()
    {
        using var factory = new MatchingApiFactory(settings: new Dictionary<string, string>
        {
            ["Matching:RateLimit:PermitsPerSecond"] = "1",
            ["Matching:RateLimit:Burst"] = "3",
        });
        using var wrongKey = factory.CreateClient();
        wrongKey.DefaultRequestHeaders.Add("X-Api-Key", "not-a-key-of-this-service");
        using var probe = factory.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add((await wrongKey.GetAsync("/v1/therapists")).StatusCode);
        }

        var probes = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            probes.Add((await probe.GetAsync("/health/live")).StatusCode);
            probes.Add((await probe.GetAsync("/health/ready")).StatusCode);
        }

        Assert.That(statuses, Has.Some.EqualTo(HttpStatusCode.TooManyRequests), "the address's anonymous bucket is empty");
        Assert.That(probes, Is.All.EqualTo(HttpStatusCode.OK));
    }
}
