using Matching.Api.Capacity;
using Matching.Api.Clients;
using Matching.Api.Feedback;
using Matching.Api.Health;
using Matching.Api.Infrastructure;
using Matching.Api.Matches;
using Matching.Api.Models;
using Matching.Api.Ranking;
using Matching.Api.Therapists;

var builder = WebApplication.CreateBuilder(args);

builder.AddMatchingData();
builder.AddRanking();
builder.AddApiKeyAuthentication();
builder.AddRateLimits();
builder.AddProblemResponses();
builder.AddSwagger();
builder.Services.AddHealthChecks().AddMatchingChecks();

var app = builder.Build();

app.UseProblemResponses();
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
app.MapCapacity();
app.MapHealth();

app.Run();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
