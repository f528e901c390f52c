using Matching.Api.Capacity;
using Matching.Api.Clients;
using Matching.Api.Feedback;
using Matching.Api.Health;
using Matching.Api.Intake;
using Matching.Api.Infrastructure;
using Matching.Api.Matches;
using Matching.Api.Models;
using Matching.Api.Ranking;
using Matching.Api.Therapists;
using Matching.Api.Vocabularies;

var builder = WebApplication.CreateBuilder(args);

builder.AddLogRedaction();
builder.AddMatchingData();
builder.AddRanking();
builder.AddApiKeyAuthentication();
builder.AddRateLimits();
builder.AddProblemResponses();
builder.AddSwagger();
builder.AddTelemetry();
builder.Services.AddHealthChecks().AddMatchingChecks();

var app = builder.Build();
if (!app.ConfigurationIsValid())
{
    return 1;
}

app.UseMetrics();
app.UseProblemResponses();
app.UseIntakePage();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.UseSwaggerPages();

await app.PrepareDatabaseAsync();
app.PrintDemoBannerWhenStarted();

app.MapMatches();
app.MapFeedback();
app.MapTherapists();
app.MapClients();
app.MapModels();
app.MapVocabularies();
app.MapCapacity();
app.MapHealth();

app.Run();
return 0;

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
