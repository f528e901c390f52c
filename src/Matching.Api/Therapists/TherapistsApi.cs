using Matching.Api.Infrastructure;
using Matching.Api.Matches;
using Matching.Api.Ranking;
using Matching.Data;
using Matching.Engine.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Api.Therapists;

/// <summary>A directory entry.</summary>
public sealed record TherapistResponse(TherapistProfile Profile, bool Active, DateTimeOffset UpdatedAt);

/// <summary>A page of the directory.</summary>
public sealed record TherapistPage(IReadOnlyList<TherapistResponse> Items, int Page, int PageSize, int Total);

/// <summary>What a bulk import did.</summary>
public sealed record ImportResponse(int Imported, int Created, int Updated);

/// <summary>The therapist directory.</summary>
public static class TherapistsApi
{
    /// <summary>Largest page.</summary>
    public const int MaxPageSize = 200;

    /// <summary>Maps /v1/therapists.</summary>
    public static RouteGroupBuilder MapTherapists(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/therapists").WithTags("Therapists");
        var read = ApiKeyAuthentication.Policy(Role.Intake);
        var write = ApiKeyAuthentication.Policy(Role.Data);
        group.MapGet("/", List).WithName("ListTherapists").WithSummary("Page through the directory, filtered").RequireAuthorization(read);
        group.MapGet("/{id}", Get).WithName("GetTherapist").WithSummary("One therapist's listing").RequireAuthorization(read);
        group.MapPut("/{id}", Upsert).WithName("UpsertTherapist").WithSummary("Create or replace a listing").RequireAuthorization(write);
        group.MapPost("/{id}/deactivate", Deactivate).WithName("DeactivateTherapist").WithSummary("Unlist a therapist (history is kept)").RequireAuthorization(write);
        group.MapPost("/{id}/reactivate", Reactivate).WithName("ReactivateTherapist").WithSummary("List a deactivated therapist again").RequireAuthorization(write);
        group.MapPost("/import", Import).WithName("ImportTherapists").WithSummary("Create or replace many listings: all or none")
            .RequireAuthorization(write).WithMetadata(new Problems.BodyLimit(Problems.MaxImportBytes));
        return group;
    }

    /// <summary>Filtered page of the directory.</summary>
    public static async Task<Results<Ok<TherapistPage>, ValidationProblem>> List(
        TherapistStore store, CancellationToken ct,
        string? region = null, string? city = null, string? language = null, string? modality = null, string? specialty = null,
        string? insurance = null, bool? accepting = null, string active = "true", int page = 1, int pageSize = 50)
    {
        var errors = new RequestErrors();
        errors.Tag("region", region);
        errors.Tag("city", city);
        errors.Tag("insurance", insurance);
        if (language is not null && !Vocabulary.IsValidLanguage(language))
        {
            errors.Add("language", "language must be an ISO 639-1 code, e.g. 'en'.");
        }

        bool? listed = active switch
        {
            "true" => true,
            "false" => false,
            "any" => null,
            _ => Invalid(errors, "active", "active must be true, false or any."),
        };
        var m = ParseEnum<Modality>(errors, "modality", modality);
        var s = ParseEnum<Goal>(errors, "specialty", specialty);
        if (pageSize is < 1 or > MaxPageSize)
        {
            errors.Add("pageSize", $"pageSize must be between 1 and {MaxPageSize}.");
        }
        else if (page < 1 || (long)(page - 1) * pageSize > int.MaxValue)
        {
            // The rows skipped, (page - 1) × pageSize, must be a row number the database can take.
            errors.Add("page", $"page must be between 1 and {(int.MaxValue / pageSize) + 1} for pageSize {pageSize}.");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var (items, total) = await store.ListAsync(new TherapistFilter(region, city, language, m, s, insurance, accepting, listed), (page - 1) * pageSize, pageSize, ct);
        return TypedResults.Ok(new TherapistPage(items.Select(ToResponse).ToList(), page, pageSize, total));
    }

    /// <summary>One listing.</summary>
    public static async Task<Results<Ok<TherapistResponse>, ProblemHttpResult>> Get(string id, TherapistStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } record ? TypedResults.Ok(ToResponse(record)) : MatchesApi.NotFoundProblem("therapist", id);

    /// <summary>Creates (201) or replaces (200) a listing. The id in the path wins; an id in the body must agree.</summary>
    public static async Task<Results<Created<TherapistResponse>, Ok<TherapistResponse>, ValidationProblem>> Upsert(
        string id, TherapistRequest request, TherapistStore store, DirectoryCache directory, CancellationToken ct)
    {
        var errors = new RequestErrors();
        if (request.Id is not null && request.Id != id)
        {
            errors.Add("id", "id in the body must match the path.");
        }

        if (request.ToProfile(id, errors) is not { } profile || !errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var created = await store.UpsertAsync(profile, ct);
        var record = (await store.GetAsync(id, ct))!;
        await directory.ListingsChangedAsync([record], ct);
        var stored = ToResponse(record);
        return created ? TypedResults.Created($"/v1/therapists/{id}", stored) : TypedResults.Ok(stored);
    }

    /// <summary>Validates every listing, then stores them all in one transaction.</summary>
    public static async Task<Results<Ok<ImportResponse>, ValidationProblem>> Import(
        TherapistImportRequest request, TherapistStore store, DirectoryCache directory, CancellationToken ct)
    {
        var errors = new RequestErrors();
        errors.List("therapists", request.Therapists, 1, TherapistImportRequest.MaxTherapists);
        var profiles = new List<TherapistProfile>();
        for (var i = 0; errors.IsValid && i < request.Therapists!.Count; i++)
        {
            if (request.Therapists[i].ToProfile(request.Therapists[i].Id, errors, $"therapists[{i}].") is { } p)
            {
                profiles.Add(p);
            }
        }

        if (errors.IsValid && profiles.Select(p => p.Id).Distinct().Count() != profiles.Count)
        {
            errors.Add("therapists", "therapists must not repeat an id.");
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var created = await store.UpsertManyAsync(profiles, ct);
        var listed = await store.ListedAmongAsync(profiles.Select(p => p.Id).ToList(), ct);
        await directory.ListingsChangedAsync(
            profiles.Select(p => listed.TryGetValue(p.Id, out var at) ? new TherapistRecord(p, true, at) : new TherapistRecord(p, false, default)).ToList(), ct);
        return TypedResults.Ok(new ImportResponse(profiles.Count, created, profiles.Count - created));
    }

    /// <summary>Unlists a therapist: no longer matched, but shortlists and feedback that name it are kept.</summary>
    public static Task<Results<NoContent, ProblemHttpResult>> Deactivate(string id, TherapistStore store, DirectoryCache directory, CancellationToken ct) =>
        SetActive(id, false, store, directory, ct);

    /// <summary>Lists a therapist again.</summary>
    public static Task<Results<NoContent, ProblemHttpResult>> Reactivate(string id, TherapistStore store, DirectoryCache directory, CancellationToken ct) =>
        SetActive(id, true, store, directory, ct);

    private static async Task<Results<NoContent, ProblemHttpResult>> SetActive(string id, bool active, TherapistStore store, DirectoryCache directory, CancellationToken ct)
    {
        if (!await store.SetActiveAsync(id, active, ct) || await store.GetAsync(id, ct) is not { } record)
        {
            return MatchesApi.NotFoundProblem("therapist", id);
        }

        await directory.ListingsChangedAsync([record], ct);
        return TypedResults.NoContent();
    }

    private static TherapistResponse ToResponse(TherapistRecord r) => new(r.Profile, r.Active, r.UpdatedAt);

    private static bool? Invalid(RequestErrors errors, string field, string message)
    {
        errors.Add(field, message);
        return null;
    }

    private static T? ParseEnum<T>(RequestErrors errors, string field, string? value) where T : struct, Enum
    {
        if (value is null)
        {
            return null;
        }

        var match = Enum.GetValues<T>().Where(v => string.Equals(DomainJson.Name(v), value, StringComparison.OrdinalIgnoreCase)).ToList();
        if (match.Count == 1)
        {
            return match[0];
        }

        errors.Add(field, $"'{value}' is not one of: {string.Join(", ", DomainJson.AllowedNames(typeof(T)))}.");
        return null;
    }
}
