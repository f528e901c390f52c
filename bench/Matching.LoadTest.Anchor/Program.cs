using System.Text.Json;

// The anchor: Kestrel, routing and System.Text.Json and nothing else, answering the same routes the
// load harness drives on the service. Each handler reads and parses the request body (the service
// must too) and answers a small JSON body, so the harness's match-only and mixed scenarios run
// unchanged against it. Its CPU, allocations and RSS per request are the floor the service's
// figures are divided by.
var builder = WebApplication.CreateBuilder(args);
// The service's logging configuration: Information, with ASP.NET Core's per-request lines off.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
var app = builder.Build();

string[] shortlist = ["t-00001", "t-00002", "t-00003", "t-00004", "t-00005"];

app.MapPost("/v1/matches", (JsonElement request) => TypedResults.Ok(new AnchorMatch(
    Guid.NewGuid(), request.TryGetProperty("clientId", out var id) ? id.GetString() ?? "" : "", "anchor", 0, 0,
    [.. shortlist.Select((t, i) => new AnchorTherapist(i + 1, t))])));
app.MapPost("/v1/matches/{id:guid}/choice", (Guid id, JsonElement request) => TypedResults.NoContent());
app.MapPost("/v1/alliance-ratings", (JsonElement request) => TypedResults.Created("/v1/matches", new AnchorAck("alliance-rating")));
app.MapPost("/v1/outcome-events", (JsonElement request) => TypedResults.Created("/v1/matches", new AnchorAck("outcome-event")));
app.MapGet("/health/ready", () => TypedResults.Ok(new AnchorAck("ready")));

app.Run();

internal sealed record AnchorTherapist(int Position, string TherapistId);

internal sealed record AnchorMatch(Guid MatchId, string ClientId, string ModelVersion, int Considered, int Eligible, IReadOnlyList<AnchorTherapist> Therapists);

internal sealed record AnchorAck(string Stored);
