using System.Security.Claims;
using Matching.Api.Infrastructure;
using Matching.Api.Ranking;
using Matching.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Api.Clients;

/// <summary>Erasure on request.</summary>
public static class ClientsApi
{
    /// <summary>Maps /v1/clients.</summary>
    public static RouteGroupBuilder MapClients(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/clients").WithTags("Clients").RequireAuthorization(ApiKeyAuthentication.Policy(Role.Data));
        group.MapDelete("/{clientId}", Erase).WithName("EraseClient")
            .WithSummary("Erase everything stored about a client: shortlists, choices, alliance ratings, outcome events");
        return group;
    }

    /// <summary>Erases the client's rows in one transaction and reports how many went. Erasing an unknown client erases nothing and succeeds.</summary>
    public static async Task<Results<Ok<ErasureReport>, ValidationProblem>> Erase(
        string clientId, ClaimsPrincipal user, ClientStore store, DirectoryCache directory, CancellationToken ct)
    {
        var errors = new RequestErrors();
        errors.PseudonymousId("clientId", clientId);
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var report = await store.EraseAsync(clientId, user.CallerName(), ct);
        await directory.RebuildAsync(ct); // places used and track records may have changed
        return TypedResults.Ok(report);
    }
}
