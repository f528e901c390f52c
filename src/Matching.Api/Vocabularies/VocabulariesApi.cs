using Matching.Api.Infrastructure;
using Matching.Api.Matches;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Api.Vocabularies;

/// <summary>
/// The closed lists a match request takes, as the JSON names the API reads and writes, and the
/// list limits validation enforces. Forms (the intake page, a directory's own) build their
/// choices from this rather than keeping a copy that can drift.
/// </summary>
public sealed record VocabulariesResponse(
    IReadOnlyList<string> Goals,
    IReadOnlyList<string> Modalities,
    IReadOnlyList<string> PreferenceStrengths,
    IReadOnlyList<string> Formats,
    IReadOnlyList<string> AgeGroups,
    IReadOnlyList<string> Availability,
    IReadOnlyList<string> Importance,
    IReadOnlyList<string> Genders,
    IReadOnlyList<string> Constraints,
    RequestLimits Limits);

/// <summary>How many items the lists of a match request may hold, and the shortlist length.</summary>
public sealed record RequestLimits(int MaxGoals, int MaxModalities, int MaxLanguages, int MaxTags, int DefaultLimit, int MaxLimit);

/// <summary>The vocabularies of the match request.</summary>
public static class VocabulariesApi
{
    /// <summary>
    /// Built once from the enums themselves through <see cref="DomainJson.AllowedNames"/>, the same
    /// names the strict enum converter accepts when it reads a request and the OpenAPI document shows.
    /// </summary>
    public static VocabulariesResponse Current { get; } = new(
        DomainJson.AllowedNames(typeof(Goal)),
        DomainJson.AllowedNames(typeof(Modality)),
        DomainJson.AllowedNames(typeof(PreferenceStrength)),
        DomainJson.AllowedNames(typeof(SessionFormat)),
        DomainJson.AllowedNames(typeof(AgeGroups)),
        DomainJson.AllowedNames(typeof(Availability)),
        DomainJson.AllowedNames(typeof(Importance)),
        DomainJson.AllowedNames(typeof(Gender)),
        DomainJson.AllowedNames(typeof(Constraint)),
        new RequestLimits(
            MatchRequest.MaxGoals, MatchRequest.MaxModalities, MatchRequest.MaxLanguages, MatchRequest.MaxTags,
            MatchRequest.DefaultLimit, MatchRequest.MaxLimit));

    /// <summary>Maps GET /v1/vocabularies.</summary>
    public static RouteGroupBuilder MapVocabularies(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/vocabularies").WithTags("Vocabularies")
            .RequireAuthorization(ApiKeyAuthentication.Policy(Role.Directory));
        group.MapGet("/", Get).WithName("Vocabularies")
            .WithSummary("The closed lists a match request takes (goals, modalities, formats, ...) and its list limits");
        return group;
    }

    /// <summary>The vocabularies.</summary>
    public static Ok<VocabulariesResponse> Get() => TypedResults.Ok(Current);
}
