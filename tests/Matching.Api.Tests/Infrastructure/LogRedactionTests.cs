using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Matching.Api.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Matching.Api.Tests.Infrastructure;

/// <summary>
/// Every log line the service writes, at every level, captured through a real logger provider
/// (with scopes and structured values, as an exporter sees them) while hostile requests carry
/// unique markers in the query, the route, the headers and the body of every operation: no
/// marker may appear anywhere in the logs.
/// </summary>
public sealed class LogRedactionTests
{
    private MatchingApiFactory _base = null!;
    private WebApplicationFactory<Program> _factory = null!;
    private readonly CapturedLogs _logs = new();
    private readonly List<string> _markers = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _base = new MatchingApiFactory();
        await _base.ImportDirectoryAsync();
        _factory = _base.WithWebHostBuilder(b =>
        {
            // Everything an operator could switch on, not only what the defaults show.
            b.UseSetting("Logging:LogLevel:Default", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
            b.ConfigureLogging(l => l.AddProvider(_logs));
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _factory.Dispose();
        _base.Dispose();
    }

    /// <summary>A marker that is a valid tag, so it travels as deep as a real value would.</summary>
    private string Tag(string where)
    {
        var marker = $"mk{where}{_markers.Count:D3}{Guid.NewGuid():N}"[..32];
        _markers.Add(marker);
        return marker;
    }

    /// <summary>A marker no validator would accept, with a forged log line after an encoded line feed.</summary>
    private string Hostile(string where)
    {
        var marker = Tag(where).ToUpperInvariant();
        _markers[^1] = marker;
        return marker + "\nINFO forged line " + marker;
    }

    private static string Q(string value) => Uri.EscapeDataString(value);

    private static string Js(string value) => System.Text.Json.JsonEncodedText.Encode(value).ToString();

    private IEnumerable<(string Method, string Path, string? Body)> Operations()
    {
        var match = Guid.NewGuid();
        yield return ("POST", $"/v1/matches?debug={Q(Hostile("q"))}", $$$"""{"clientId":"{{{Tag("client")}}}","goals":["panic"],"languages":["en"],"culture":{"backgrounds":["{{{Tag("culture")}}}"],"importance":"high"},"faith":{"faith":"{{{Tag("faith")}}}","importance":"low"},"constraints":{"region":"us-ny","city":"{{{Tag("city")}}}","insurance":"{{{Tag("ins")}}}","ageGroup":"adults"}}""");
        yield return ("POST", "/v1/matches", $$$"""{"clientId":"{{{Js(Hostile("client"))}}}","goals":["{{{Js(Hostile("enum"))}}}"],"constraints":{"region":"us-ny","ageGroup":"adults"}}""");
        yield return ("POST", "/v1/matches", $$$"""{"clientId":"c-1","goals":["panic"],"languages":["en"],"constraints":{"region":"us-ny","ageGroup":"{{{Js(Hostile("flags"))}}}"}}""");
        yield return ("POST", "/v1/matches", $$"""{"{{Tag("member")}}":1}""");
        yield return ("POST", "/v1/matches", $$"""{"clientId":"c-1","limit":"{{Js(Hostile("limit"))}}"}""");
        yield return ("POST", "/v1/matches", $$"""{"clientId":"{{Js(Hostile("broken"))}}""");
        yield return ("GET", $"/v1/matches/{match}?x={Q(Hostile("q"))}", null);
        yield return ("GET", $"/v1/matches/{Q(Hostile("route"))}", null);
        yield return ("POST", $"/v1/matches/{match}/choice", $$"""{"therapistId":"{{Tag("choice")}}"}""");
        yield return ("POST", "/v1/alliance-ratings", $$"""{"matchId":"{{match}}","therapistId":"{{Tag("rating")}}","instrument":"{{Js(Hostile("instrument"))}}","items":[4],"sessionNumber":3}""");
        yield return ("POST", "/v1/alliance-ratings", $$"""{"matchId":"{{Js(Hostile("guid"))}}","therapistId":"t-cbt-ny","instrument":"srs","sessionNumber":3}""");
        yield return ("POST", "/v1/outcome-events", $$"""{"matchId":"{{match}}","therapistId":"{{Tag("outcome")}}","kind":"{{Js(Hostile("kind"))}}"}""");
        yield return ("GET", $"/v1/therapists?region={Tag("region")}&city={Q(Hostile("city"))}&modality={Q(Hostile("modality"))}&page={Q(Hostile("page"))}&active={Tag("active")}", null);
        yield return ("GET", $"/v1/therapists?insurance={Tag("ins")}&accepting={Q(Hostile("bool"))}", null);
        yield return ("GET", $"/v1/therapists/{Tag("therapist")}", null);
        yield return ("GET", $"/v1/therapists/{Q(Hostile("therapist"))}", null);
        yield return ("PUT", $"/v1/therapists/{Tag("put")}", $$"""{"displayName":"{{Js(Hostile("name"))}}","gender":"{{Js(Hostile("gender"))}}"}""");
        yield return ("POST", $"/v1/therapists/{Tag("deactivate")}/deactivate", null);
        yield return ("POST", $"/v1/therapists/{Tag("reactivate")}/reactivate", null);
        yield return ("POST", "/v1/therapists/import", $$"""{"therapists":[{"id":"{{Tag("import")}}","displayName":"{{Js(Hostile("name"))}}","fee":"{{Js(Hostile("fee"))}}"}]}""");
        yield return ("DELETE", $"/v1/clients/{Tag("erase")}", null);
        yield return ("DELETE", $"/v1/clients/{Q(Hostile("erase"))}", null);
        yield return ("GET", $"/v1/models?x={Q(Hostile("q"))}", null);
        yield return ("GET", $"/v1/models/active?x={Q(Hostile("q"))}", null);
        yield return ("POST", $"/v1/models/{Tag("model")}/activate", $$"""{"reason":"{{Js(Hostile("reason"))}}"}""");
        yield return ("POST", $"/v1/models/{Q(Hostile("model"))}/activate", "{}");
        yield return ("GET", $"/v1/training-runs?x={Q(Hostile("q"))}", null);
        yield return ("GET", $"/health/live?x={Q(Hostile("q"))}", null);
        yield return ("GET", $"/health/ready?x={Q(Hostile("q"))}", null);
        yield return ("GET", $"/swagger/v1/swagger.json?x={Q(Hostile("q"))}", null);
        yield return ("GET", $"/{Tag("unknown")}/{Q(Hostile("unknown"))}", null);
    }

    [Test]
    public async Task No_marker_from_a_hostile_request_reaches_any_log_line()
    {
        using var client = _factory.CreateClient();
        Assert.That(_factory.Services.GetRequiredService<IServer>().GetType().Name, Does.StartWith("Kestrel"), "real HTTP through Kestrel, whose own logs are captured too");
        var statuses = new List<HttpStatusCode>();
        foreach (var (method, path, body) in Operations().ToList())
        {
            foreach (var key in new[] { MatchingApiFactory.Keys[Role.Data], MatchingApiFactory.Keys[Role.Directory], Tag("key") + "-not-a-key" })
            {
                foreach (var (accept, contentType) in new[] { ("application/json", "application/json"), ("text/html", "application/json"), ("*/*", "text/plain") })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    request.Headers.TryAddWithoutValidation("X-Api-Key", key);
                    request.Headers.TryAddWithoutValidation("Accept", accept);
                    request.Headers.TryAddWithoutValidation("User-Agent", Tag("agent"));
                    request.Headers.TryAddWithoutValidation("X-Forwarded-For", Tag("forwarded"));
                    request.Headers.TryAddWithoutValidation("Referer", $"https://example.org/{Tag("referer")}");
                    if (body is not null)
                    {
                        request.Content = new StringContent(body, Encoding.UTF8, contentType);
                    }

                    using var response = await client.SendAsync(request);
                    statuses.Add(response.StatusCode);
                }
            }
        }

        var lines = _logs.Lines.ToList();
        var leaks = lines.Where(line => _markers.Any(m => line.Contains(m, StringComparison.OrdinalIgnoreCase))).Take(5).ToList();
        Assert.That(leaks, Is.Empty, $"{_markers.Count} markers sent in {statuses.Count} requests");
        Assert.That(lines, Has.Count.GreaterThan(500), "every level was captured");
        Assert.That(lines, Has.Some.Contain(LogRedaction.Redacted), "framework lines were captured, with their values withheld");
        Assert.That(statuses.Distinct().Count(), Is.GreaterThanOrEqualTo(6), "the requests reached many paths (200, 400, 401, 403, 404, 415, ...)");
        Assert.That(statuses, Has.None.EqualTo(HttpStatusCode.InternalServerError), "no hostile request is a 500");
    }

    /// <summary>A real provider that keeps each line as a console or an exporter would: message, exception, structured values, scopes.</summary>
    private sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = new StringBuilder($"{logLevel} {category}[{eventId}] {formatter(state, exception)}");
                if (state is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    foreach (var (k, v) in values)
                    {
                        line.Append($" | {k}={v}");
                    }
                }

                owner._scopes.ForEachScope((scope, text) =>
                {
                    text.Append(" => ").Append(scope);
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var (k, v) in pairs)
                        {
                            text.Append($" {k}={v}");
                        }
                    }
                }, line);
                if (exception is not null)
                {
                    line.AppendLine().Append(exception);
                }

                owner.Lines.Enqueue(line.ToString());
            }
        }
    }
}
