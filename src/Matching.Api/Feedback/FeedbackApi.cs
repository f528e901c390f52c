using Matching.Api.Infrastructure;
using Matching.Api.Matches;
using Matching.Api.Ranking;
using Matching.Data;
using Matching.Engine.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Api.Feedback;

/// <summary>Subscale totals, for callers that have no item scores.</summary>
public sealed record SubscaleTotals(double? Goal, double? Task, double? Bond);

/// <summary>An alliance rating: item scores or subscale totals of one instrument, at a session.</summary>
public sealed record AllianceRatingRequest(Guid? MatchId, string? TherapistId, AllianceInstrument? Instrument, List<int>? Items, SubscaleTotals? Subscales, int? SessionNumber);

/// <summary>The stored, normalised rating.</summary>
public sealed record AllianceRatingResponse(Guid MatchId, string TherapistId, AllianceInstrument Instrument, int SessionNumber, double Goal, double Task, double Bond, double Overall);

/// <summary>An outcome event: dropout (with the session it happened after), rematch, or completion.</summary>
public sealed record OutcomeEventRequest(Guid? MatchId, string? TherapistId, OutcomeKind? Kind, int? SessionNumber);

/// <summary>Feedback the model learns from.</summary>
public static class FeedbackApi
{
    /// <summary>Longest course of sessions accepted.</summary>
    public const int MaxSession = 200;

    /// <summary>Maps /v1/alliance-ratings and /v1/outcome-events.</summary>
    public static RouteGroupBuilder MapFeedback(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1").WithTags("Feedback").RequireAuthorization(ApiKeyAuthentication.Policy(Role.Intake));
        group.MapPost("/alliance-ratings", AddRating).WithName("AddAllianceRating")
            .WithSummary("Record an alliance rating (WAI-SR, WAI-S or SRS) for a match and therapist");
        group.MapPost("/outcome-events", AddOutcome).WithName("AddOutcomeEvent")
            .WithSummary("Record a dropout, rematch or completion for a match and therapist");
        return group;
    }

    /// <summary>Validates, normalises to goal/task/bond on 0-1 and stores.</summary>
    public static async Task<Results<Created<AllianceRatingResponse>, ValidationProblem, ProblemHttpResult>> AddRating(
        AllianceRatingRequest request, FeedbackStore store, ShortlistStore shortlists, DirectoryCache directory, TimeProvider clock, CancellationToken ct)
    {
        var errors = new RequestErrors();
        ValidateTarget(errors, request.MatchId, request.TherapistId);
        if (errors.Required("sessionNumber", request.SessionNumber))
        {
            errors.Range("sessionNumber", request.SessionNumber, 1, MaxSession);
        }

        AllianceScore? score = null;
        if (errors.Required("instrument", request.Instrument))
        {
            score = Normalise(errors, request.Instrument!.Value, request.Items, request.Subscales);
        }

        if (!errors.IsValid || score is null)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var result = await store.AddRatingAsync(request.MatchId!.Value, request.TherapistId!, request.Instrument!.Value, request.Items, request.SessionNumber!.Value, score, clock.GetUtcNow(), ct);
        switch (result)
        {
            case FeedbackResult.ShortlistNotFound:
                return MatchesApi.NotFoundProblem("match", request.MatchId.Value);
            case FeedbackResult.NotOnShortlist:
                return NotOnShortlist();
        }

        directory.RatingRecorded(request.TherapistId!, await shortlists.FirstGoalAsync(request.MatchId.Value, ct), score.Overall);
        MatchingMetrics.Feedback("rating");
        return TypedResults.Created($"/v1/matches/{request.MatchId}", new AllianceRatingResponse(
            request.MatchId.Value, request.TherapistId!, request.Instrument.Value, request.SessionNumber.Value,
            Math.Round(score.Goal, 4), Math.Round(score.Task, 4), Math.Round(score.Bond, 4), Math.Round(score.Overall, 4)));
    }

    /// <summary>Validates and stores an outcome event.</summary>
    public static async Task<Results<Created, ValidationProblem, ProblemHttpResult>> AddOutcome(
        OutcomeEventRequest request, FeedbackStore store, TimeProvider clock, CancellationToken ct)
    {
        var errors = new RequestErrors();
        ValidateTarget(errors, request.MatchId, request.TherapistId);
        errors.Required("kind", request.Kind);
        if (request.Kind == OutcomeKind.Dropout)
        {
            errors.Required("sessionNumber", request.SessionNumber);
        }

        errors.Range("sessionNumber", request.SessionNumber, 0, MaxSession);
        if (!errors.IsValid)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        var result = await store.AddOutcomeAsync(request.MatchId!.Value, request.TherapistId!, request.Kind!.Value, request.SessionNumber, clock.GetUtcNow(), ct);
        switch (result)
        {
            case FeedbackResult.ShortlistNotFound:
                return MatchesApi.NotFoundProblem("match", request.MatchId.Value);
            case FeedbackResult.NotOnShortlist:
                return NotOnShortlist();
        }

        MatchingMetrics.Feedback("outcome");
        return TypedResults.Created($"/v1/matches/{request.MatchId}");
    }

    private static void ValidateTarget(RequestErrors errors, Guid? matchId, string? therapistId)
    {
        errors.Required("matchId", matchId);
        if (errors.Required("therapistId", therapistId))
        {
            errors.Tag("therapistId", therapistId);
        }
    }

    private static AllianceScore? Normalise(RequestErrors errors, AllianceInstrument instrument, List<int>? items, SubscaleTotals? subscales)
    {
        if (items is null && subscales is null)
        {
            errors.Add("items", $"Send the {DomainJson.Name(instrument)} rating as items ({AllianceScale.ItemCount(instrument)} item scores) or as subscales (goal, task and bond totals).");
            return null;
        }

        if (items is not null && subscales is not null)
        {
            errors.Add("items", "Send either items or subscales, not both.");
            return null;
        }

        var (min, max) = AllianceScale.ItemRange(instrument);
        if (items is not null)
        {
            var count = AllianceScale.ItemCount(instrument);
            if (items.Count != count)
            {
                errors.Add("items", $"{DomainJson.Name(instrument)} has {count} items.");
                return null;
            }

            for (var i = 0; i < items.Count; i++)
            {
                errors.Range($"items[{i}]", items[i], min, max);
            }

            return errors.IsValid ? AllianceScale.FromItems(instrument, items) : null;
        }

        var n = AllianceScale.ItemsPerSubscale(instrument);
        foreach (var (name, value) in new[] { ("goal", subscales!.Goal), ("task", subscales.Task), ("bond", subscales.Bond) })
        {
            if (errors.Required($"subscales.{name}", value))
            {
                errors.Range($"subscales.{name}", value, min * n, max * n);
            }
        }

        return errors.IsValid ? AllianceScale.FromSubscales(instrument, subscales.Goal!.Value, subscales.Task!.Value, subscales.Bond!.Value) : null;
    }

    private static ValidationProblem NotOnShortlist() => TypedResults.ValidationProblem(new Dictionary<string, string[]>
    {
        ["therapistId"] = ["therapistId was not on this match's shortlist."],
    });
}
