using System.Security.Claims;
using Matching.Api.Infrastructure;
using Matching.Api.Ranking;
using Matching.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Api.Clients;

/// <summary>Erasure on request.</summary>
public static class ClientsApi
{
    private const string RetryAfterSeconds = "5";

    /// <summary>Maps /v1/clients.</summary>
    public static RouteGroupBuilder MapClients(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/clients").WithTags("Clients").RequireAuthorization(ApiKeyAuthentication.Policy(Role.Data));
        group.MapDelete("/{clientId}", Erase).WithName("EraseClient")
            .WithSummary("Erase everything stored about a client: shortlists, choices, alliance ratings, outcome events");
        return group;
    }

    /// <summary>
    /// Erases the client's rows in one transaction, clears the database files of them, and reports
    /// how many went. Erasing an unknown client erases nothing and succeeds. When the files could
    /// not be cleared yet (a long read kept the SQLite log in use) the answer is 503 with
    /// Retry-After: the rows are gone from every query, and the same request clears the files.
    /// </summary>
    public static async Task<Results<Ok<ErasureReport>, ValidationProblem, ProblemHttpResult>> Erase(
        string clientId, ClaimsPrincipal user, ClientStore store, DirectoryCache directory, HttpResponse response, CancellationToken ct)
    {
        var errors = new RequestErrors();
        errors.PseudonymousId("clientId", clientId);
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var erasure = await store.EraseAsync(clientId, user.CallerName(), ct);
        await directory.RebuildAsync(ct); // places used and track records may have changed
        if (!erasure.FilesCleared)
        {
            response.Headers.RetryAfter = RetryAfterSeconds;
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Erasure not yet complete",
                detail: "The client's rows are deleted, but a long-running read kept the database log from being cleared of them. Send the same request again.");
        }

        return TypedResults.Ok(erasure.Report);
    }
}
