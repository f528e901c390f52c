using System.Diagnostics;
using System.Security.Claims;
using Matching.Api.Infrastructure;
using Matching.Api.Models;
using Matching.Api.Ranking;
using Matching.Data;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Api.Matches;

/// <summary>Per-pillar fit, 0-1 with 0.5 neutral.</summary>
public sealed record FitResponse(double Goals, double Tasks, double Bond);

/// <summary>A therapist on a shortlist, with what a client needs to decide.</summary>
public sealed record MatchedTherapistResponse(
    int Position,
    string TherapistId,
    string? DisplayName,
    double Score,
    FitResponse Fit,
    IReadOnlyList<string> Reasons,
    decimal? Fee,
    bool? OffersVideo,
    IReadOnlyList<string>? InPersonCities,
    IReadOnlyList<string>? Languages,
    IReadOnlyList<Modality>? Modalities);

/// <summary>A ranked, explained shortlist.</summary>
/// <param name="MatchId">The stored shortlist's id.</param>
/// <param name="ClientId">Pseudonymous client.</param>
/// <param name="ModelVersion">The model that ranked.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="Considered">Therapists considered.</param>
/// <param name="Eligible">Therapists past the hard constraints.</param>
/// <param name="ExcludedBy">How many each constraint excluded.</param>
/// <param name="Therapists">The shortlist.</param>
/// <param name="ModelTrainer">Who trained the model (<c>rule-based</c>, <c>lambdamart</c>, <c>mlnet-lightgbm</c>, <c>mlnet-fasttree</c>).</param>
/// <param name="ModelLibrary">Library and version that trained it; the engine serves every model itself.</param>
public sealed record MatchResponse(
    Guid MatchId,
    string ClientId,
    string ModelVersion,
    DateTimeOffset CreatedAt,
    int Considered,
    int Eligible,
    IReadOnlyDictionary<Constraint, int> ExcludedBy,
    IReadOnlyList<MatchedTherapistResponse> Therapists,
    string ModelTrainer,
    string ModelLibrary);

/// <summary>A stored shortlist for intake staff: what was asked, by whom, what was shown and what was chosen.</summary>
public sealed record ShortlistResponse(
    Guid MatchId,
    string ClientId,
    string Caller,
    string ModelVersion,
    string FeatureSchema,
    DateTimeOffset CreatedAt,
    ClientPreferences Request,
    int Considered,
    int Eligible,
    IReadOnlyDictionary<Constraint, int> ExcludedBy,
    IReadOnlyList<MatchedTherapistResponse> Therapists,
    string? ChosenTherapistId);

/// <summary>The client's choice.</summary>
public sealed record ChoiceRequest(string? TherapistId);

/// <summary>Matching: ranked shortlists, stored shortlists and choices.</summary>
public static class MatchesApi
{
    /// <summary>Maps the endpoints under /v1/matches.</summary>
    public static RouteGroupBuilder MapMatches(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/matches").WithTags("Matches");
        group.MapPost("/", Match).WithName("Match")
            .WithSummary("Rank therapists for a client by likely working alliance")
            .RequireAuthorization(ApiKeyAuthentication.Policy(Role.Directory));
        group.MapGet("/{id:guid}", GetShortlist).WithName("GetShortlist")
            .WithSummary("A stored shortlist with its request, explanations and choice")
            .RequireAuthorization(ApiKeyAuthentication.Policy(Role.Intake));
        group.MapPost("/{id:guid}/choice", Choose).WithName("Choose")
            .WithSummary("Record which therapist the client chose")
            .RequireAuthorization(ApiKeyAuthentication.Policy(Role.Directory));
        return group;
    }

    /// <summary>Filters by the hard constraints, ranks by the active model, stores the shortlist and returns it.</summary>
    public static async Task<Results<Ok<MatchResponse>, ValidationProblem>> Match(
        MatchRequest request, ClaimsPrincipal user, DirectoryCache directory, RankerHolder ranker, ExplorationSlot exploration, ShortlistStore store, TimeProvider clock, CancellationToken ct)
    {
        var errors = new RequestErrors();
        if (request.ToPreferences(errors) is not { } preferences)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var model = ranker.Current;
        var snapshot = await directory.GetAsync(ct);
        var started = Stopwatch.GetTimestamp();
        var outcome = Matcher.Rank(preferences, snapshot, model, request.Limit ?? MatchRequest.DefaultLimit, exploration.Settings, exploration.Random);
        var rankingTime = Stopwatch.GetElapsedTime(started);
        var items = new ShortlistItem[outcome.Ranked.Count];
        var shown = new MatchedTherapistResponse[outcome.Ranked.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var r = outcome.Ranked[i];
            items[i] = new ShortlistItem(r.Position, r.Therapist.Id, r.Score, r.Fit.Goals, r.Fit.Tasks, r.Fit.Bond, r.Fit.Reasons, r.Features, r.Propensity, r.Explored);
            shown[i] = Item(items[i], r.Therapist);
        }

        var shortlist = new Shortlist(
            Guid.NewGuid(),
            preferences.ClientId,
            user.CallerName(),
            clock.GetUtcNow(),
            outcome.ModelVersion,
            model.FeatureSchemaVersion,
            preferences,
            outcome.ExcludedBy,
            outcome.Considered,
            outcome.Eligible,
            items);
        await store.SaveAsync(shortlist, ct);
        MatchingMetrics.MatchServed(outcome.ModelVersion, outcome.Eligible, rankingTime);
        var provenance = Provenance.Of(model);
        return TypedResults.Ok(new MatchResponse(
            shortlist.Id, shortlist.ClientId, shortlist.ModelVersion, shortlist.CreatedAt, shortlist.Considered, shortlist.Eligible,
            shortlist.ExcludedBy, shown, provenance.Trainer, provenance.Library));
    }

    /// <summary>The stored shortlist.</summary>
    public static async Task<Results<Ok<ShortlistResponse>, ProblemHttpResult>> GetShortlist(
        Guid id, ShortlistStore store, TherapistStore therapists, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } found)
        {
            return NotFoundProblem("match", id);
        }

        var (s, chosen) = found;
        var profiles = await therapists.GetManyAsync(s.Items.Select(i => i.TherapistId).ToList(), ct);

        return TypedResults.Ok(new ShortlistResponse(
            s.Id, s.ClientId, s.Caller, s.ModelVersion, s.FeatureSchema, s.CreatedAt, s.Request, s.Considered, s.Eligible, s.ExcludedBy,
            s.Items.Select(i => Item(i, profiles.GetValueOrDefault(i.TherapistId))).ToList(), chosen));
    }

    /// <summary>Records the client's choice; the therapist must be on the shortlist, and a shortlist has one choice.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> Choose(
        Guid id, ChoiceRequest request, ShortlistStore store, DirectoryCache directory, TimeProvider clock, CancellationToken ct)
    {
        var errors = new RequestErrors();
        if (errors.Required("therapistId", request.TherapistId))
        {
            errors.Tag("therapistId", request.TherapistId);
        }

        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var at = clock.GetUtcNow();
        switch (await store.RecordChoiceAsync(id, request.TherapistId!, at, ct))
        {
            case ChoiceResult.ShortlistNotFound:
                return NotFoundProblem("match", id);
            case ChoiceResult.NotOnShortlist:
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["therapistId"] = ["therapistId is not on this shortlist."] });
            case ChoiceResult.AlreadyChosen:
                return TypedResults.Problem(
                    "This shortlist already has a choice; a rematch starts a new match.", statusCode: StatusCodes.Status409Conflict, title: "Choice already recorded");
            default:
                directory.ChoiceRecorded(request.TherapistId!, at);
                MatchingMetrics.Feedback("choice");
                return TypedResults.NoContent();
        }
    }

    private static MatchedTherapistResponse Item(ShortlistItem i, TherapistProfile? p) => new(
        i.Position, i.TherapistId, p?.DisplayName, Math.Round(i.Score, 6), new FitResponse(i.GoalsFit, i.TasksFit, i.BondFit), i.Reasons,
        p?.Fee, p?.OffersVideo, p?.InPersonCities, p?.Languages, p?.Modalities);

    /// <summary>404 ProblemDetails naming the missing resource.</summary>
    public static ProblemHttpResult NotFoundProblem(string what, object id) =>
        TypedResults.Problem($"No {what} with id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: $"Unknown {what}",
            extensions: new Dictionary<string, object?> { ["field"] = "id" });
}
