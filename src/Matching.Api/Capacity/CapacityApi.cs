using Matching.Api.Infrastructure;
using Matching.Api.Ranking;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Api.Capacity;

/// <summary>One therapist's places this week and capacity price.</summary>
/// <param name="TherapistId">The therapist.</param>
/// <param name="WeeklyCapacity">New-client places per week.</param>
/// <param name="PlacesLeft">Places left this week on this replica.</param>
/// <param name="Price">Capacity price in the model's score units (0: demand does not exceed the places).</param>
public sealed record TherapistCapacity(string TherapistId, int WeeklyCapacity, int PlacesLeft, double Price);

/// <summary>The capacity report: the prices the match path subtracts, and for which model.</summary>
/// <param name="WeekStart">The week the places count.</param>
/// <param name="ModelVersion">The model the prices were solved for (they apply only while it ranks), or null before the first solve.</param>
/// <param name="ServingModelVersion">The model ranking now.</param>
/// <param name="SolvedAt">When the prices were solved.</param>
/// <param name="Therapists">Listed therapists, highest price first.</param>
public sealed record CapacityReport(DateTimeOffset WeekStart, string? ModelVersion, string ServingModelVersion, DateTimeOffset? SolvedAt, IReadOnlyList<TherapistCapacity> Therapists);

/// <summary>Capacity and its prices, for the data role.</summary>
public static class CapacityApi
{
    /// <summary>Maps /v1/capacity.</summary>
    public static RouteGroupBuilder MapCapacity(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/capacity").WithTags("Capacity").RequireAuthorization(ApiKeyAuthentication.Policy(Role.Data));
        group.MapGet("/", Report).WithName("CapacityReport").WithSummary("Places left this week and capacity prices per therapist");
        group.MapPost("/prices", Solve).WithName("SolveCapacityPrices").WithSummary("Solve the capacity prices now (otherwise every Matching:Capacity:Pricing:Refresh)");
        return group;
    }

    /// <summary>Places left and prices of every listed therapist in this replica's snapshot.</summary>
    public static async Task<Ok<CapacityReport>> Report(DirectoryCache directory, RankerHolder ranker, CancellationToken ct)
    {
        var snapshot = await directory.GetAsync(ct);
        var therapists = snapshot.ListedCandidates()
            .Select(c => new TherapistCapacity(c.Profile.Id, c.Profile.WeeklyNewClientCapacity, c.CapacityLeft, snapshot.PriceOf(c.Profile.Id)))
            .OrderByDescending(t => t.Price).ThenBy(t => t.TherapistId, StringComparer.Ordinal)
            .ToList();
        return TypedResults.Ok(new CapacityReport(snapshot.WeekStart, snapshot.PricesModelVersion, ranker.Current.Version, snapshot.PricesSolvedAt, therapists));
    }

    /// <summary>Solves the prices now and returns the report.</summary>
    public static async Task<Ok<CapacityReport>> Solve(CapacityPricer pricer, DirectoryCache directory, RankerHolder ranker, CancellationToken ct)
    {
        await pricer.SolveAsync(ct);
        return await Report(directory, ranker, ct);
    }
}
