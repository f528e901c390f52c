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

    /// <summary>
    /// The least role of every operation, keyed by method and route as the OpenAPI document names
    /// them, with a concrete path to call (a request that is otherwise fine, or at least routed).
    /// The tests walk the document, so an operation missing here fails them.
    /// </summary>
    private static readonly Dictionary<string, (string Path, Role Least)> LeastRole = new(StringComparer.Ordinal)
    {
        ["POST /v1/matches"] = ("/v1/matches", Role.Directory),
        ["POST /v1/matches/{id}/choice"] = ($"/v1/matches/{Guid.Empty}/choice", Role.Directory),
        ["GET /v1/matches/{id}"] = ($"/v1/matches/{Guid.Empty}", Role.Intake),
        ["POST /v1/alliance-ratings"] = ("/v1/alliance-ratings", Role.Intake),
        ["POST /v1/outcome-events"] = ("/v1/outcome-events", Role.Intake),
        ["GET /v1/therapists"] = ("/v1/therapists", Role.Intake),
        ["GET /v1/therapists/{id}"] = ("/v1/therapists/t-cbt-ny", Role.Intake),
        ["PUT /v1/therapists/{id}"] = ("/v1/therapists/t-new", Role.Data),
        ["POST /v1/therapists/{id}/deactivate"] = ("/v1/therapists/t-cbt-ny/deactivate", Role.Data),
        ["POST /v1/therapists/{id}/reactivate"] = ("/v1/therapists/t-cbt-ny/reactivate", Role.Data),
        ["POST /v1/therapists/import"] = ("/v1/therapists/import", Role.Data),
        ["DELETE /v1/clients/{clientId}"] = ("/v1/clients/c-nobody", Role.Data),
        ["GET /v1/models"] = ("/v1/models", Role.Intake),
        ["GET /v1/models/active"] = ("/v1/models/active", Role.Intake),
        ["POST /v1/models/{version}/activate"] = ("/v1/models/rule-based/activate", Role.Data),
        ["GET /v1/training-runs"] = ("/v1/training-runs", Role.Data),
        ["GET /v1/vocabularies"] = ("/v1/vocabularies", Role.Directory),
        ["GET /v1/capacity"] = ("/v1/capacity", Role.Data),
        ["POST /v1/capacity/prices"] = ("/v1/capacity/prices", Role.Data),
    };

    /// <summary>Every operation of the OpenAPI document the application serves, as "METHOD /route".</summary>
    private async Task<List<string>> DocumentedOperationsAsync()
    {
        using var client = _factory.CreateClient();
        var document = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"))!;
        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(op => $"{op.Key.ToUpperInvariant()} {path.Key}"))
            .ToList();
        Assert.That(operations, Has.Count.GreaterThanOrEqualTo(LeastRole.Count), "the document lists the operations");
        return operations;
    }

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

    /// <summary>An RFC 9457 body with the status it was sent with; returns a description of what is wrong, or null.</summary>
    private static async Task<string?> ProblemMismatchAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != status)
        {
            return $"status {(int)response.StatusCode}, expected {(int)status}: {body}";
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"content type {response.Content.Headers.ContentType?.MediaType}: {body}";
        }

        var problem = JsonNode.Parse(body)!;
        return (int?)problem["status"] == (int)status && !string.IsNullOrWhiteSpace((string?)problem["title"]) ? null : $"not a {(int)status} problem: {body}";
    }

    [Test]
    public async Task Every_documented_operation_has_its_least_role_in_the_matrix()
    {
        var operations = await DocumentedOperationsAsync();

        Assert.That(operations, Is.EquivalentTo(LeastRole.Keys), "a new operation needs its least role here (and the roles of the README's API table)");
    }

    [TestCase(null, TestName = "Without_a_key_every_documented_operation_answers_401_problem")]
    [TestCase("not-a-real-key-000000000000", TestName = "A_wrong_key_on_every_documented_operation_answers_401_problem")]
    public async Task Every_documented_operation_answers_401_problem_without_a_valid_key(string? key)
    {
        var failures = new List<string>();
        foreach (var operation in await DocumentedOperationsAsync())
        {
            if (!LeastRole.TryGetValue(operation, out var entry))
            {
                failures.Add($"{operation}: not in the matrix");
                continue;
            }

            using var client = _factory.CreateClient();
            using var response = await client.SendAsync(Request(operation.Split(' ')[0], entry.Path, key));
            if (await ProblemMismatchAsync(response, HttpStatusCode.Unauthorized) is { } wrong)
            {
                failures.Add($"{operation}: {wrong}");
            }
        }

        Assert.That(failures, Is.Empty);
    }

    [Test]
    public async Task Each_role_reaches_exactly_the_documented_operations_it_needs_and_gets_403_problem_below()
    {
        var failures = new List<string>();
        var forbidden = 0;
        foreach (var operation in await DocumentedOperationsAsync())
        {
            if (!LeastRole.TryGetValue(operation, out var entry))
            {
                failures.Add($"{operation}: not in the matrix");
                continue;
            }

            foreach (var role in Enum.GetValues<Role>())
            {
                using var client = _factory.CreateClient();
                using var response = await client.SendAsync(Request(operation.Split(' ')[0], entry.Path, MatchingApiFactory.Keys[role]));
                if (role < entry.Least)
                {
                    forbidden++;
                    if (await ProblemMismatchAsync(response, HttpStatusCode.Forbidden) is { } wrong)
                    {
                        failures.Add($"{operation} as {role}: {wrong}");
                    }
                }
                else if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
                {
                    failures.Add($"{operation} as {role}: {(int)response.StatusCode}, must reach it");
                }
            }
        }

        Assert.That(failures, Is.Empty);
        Assert.That(forbidden, Is.GreaterThan(10), "the matrix has lower roles to refuse");
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
    /// <summary>
    /// Counts answers, not time: the bucket starts full with the burst of 3, so at least the
    /// first three requests pass and a later one is refused. Refills of one a second can only
    /// delay the first 429 (it comes within 100 requests unless they take a minute and a half).
    /// </summary>
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
        while (limited is null && statuses.Count < 100)
        {
            var response = await intake.GetAsync("/v1/therapists");
            statuses.Add(response.StatusCode);
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.That(limited, Is.Not.Null, $"no 429 in {statuses.Count} requests");
        Assert.That(statuses.Take(statuses.Count - 1), Is.All.EqualTo(HttpStatusCode.OK), "only refused once the bucket ran dry");
        Assert.That(statuses.Count - 1, Is.GreaterThanOrEqualTo(3), "the burst passes");
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

public sealed class RateLimitAcceptTests
{
    [Test]
    public async Task A_caller_asking_for_html_is_limited_too_and_each_429_is_problem_json()
    {
        using var factory = new MatchingApiFactory(settings: new Dictionary<string, string>
        {
            ["Matching:RateLimit:PermitsPerSecond"] = "1",
            ["Matching:RateLimit:Burst"] = "2",
        });
        using var intake = factory.ClientFor(Role.Intake);
        intake.DefaultRequestHeaders.TryAddWithoutValidation("Accept", "text/html");

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            responses.Add(await intake.GetAsync("/v1/therapists"));
        }

        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.That(responses.Select(r => r.StatusCode), Has.None.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(limited, Has.Count.GreaterThanOrEqualTo(3));
        foreach (var response in limited)
        {
            Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(response.Headers.RetryAfter, Is.Not.Null);
            Assert.That((int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!, Is.EqualTo(429));
        }
    }
}
