using System.Security.Claims;
using Matching.Api.Infrastructure;
using Matching.Api.Matches;
using Matching.Api.Ranking;
using Matching.Data;
using Matching.Engine.Matching;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Api.Models;

/// <summary>The registry as the API shows it.</summary>
public sealed record ModelsResponse(string Serving, string? Active, ModelLoadFailure? LoadFailure, IReadOnlyList<ModelRecord> Models, IReadOnlyList<ModelActivation> Activations);

/// <summary>What serves here and what the registry says should.</summary>
public sealed record ActiveModelResponse(string Serving, string RegistryActive, ModelLoadFailure? LoadFailure);

/// <summary>An activation request's reason (optional, recorded).</summary>
public sealed record ActivateRequest(string? Reason);

/// <summary>The model registry: history with metrics, the active model, activation (roll back or forward), training runs.</summary>
public static class ModelsApi
{
    /// <summary>Maps /v1/models and /v1/training-runs.</summary>
    public static RouteGroupBuilder MapModels(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1").WithTags("Models");
        group.MapGet("/models", List).WithName("ListModels").WithSummary("Every model with metrics, status and activations")
            .RequireAuthorization(ApiKeyAuthentication.Policy(Role.Intake));
        group.MapGet("/models/active", Active).WithName("ActiveModel").WithSummary("The model serving on this replica and the registry's active one")
            .RequireAuthorization(ApiKeyAuthentication.Policy(Role.Intake));
        group.MapPost("/models/{version}/activate", Activate).WithName("ActivateModel")
            .WithSummary("Make a model the active one on every replica (roll back or forward); 'rule-based' serves the baseline")
            .RequireAuthorization(ApiKeyAuthentication.Policy(Role.Data));
        group.MapGet("/training-runs", Runs).WithName("TrainingRuns").WithSummary("Every training run with data window, metrics and decision")
            .RequireAuthorization(ApiKeyAuthentication.Policy(Role.Data));
        return group;
    }

    /// <summary>The registry.</summary>
    public static async Task<Ok<ModelsResponse>> List(ModelStore store, RankerHolder holder, ModelLoader loader, CancellationToken ct) =>
        TypedResults.Ok(new ModelsResponse(holder.Current.Version, await store.ActiveVersionAsync(ct), loader.Failure,
            await store.ListAsync(ct), await store.ActivationsAsync(ct)));

    /// <summary>Serving and registry-active versions.</summary>
    public static async Task<Ok<ActiveModelResponse>> Active(ModelStore store, RankerHolder holder, ModelLoader loader, CancellationToken ct) =>
        TypedResults.Ok(new ActiveModelResponse(holder.Current.Version, await store.ActiveVersionAsync(ct) ?? RuleBasedScorer.VersionName, loader.Failure));

    /// <summary>
    /// Validates the model by loading it as a replica would; a model that fails is marked rejected
    /// with the reason and is never activated, and the current model keeps serving.
    /// </summary>
    public static async Task<Results<Ok<ActiveModelResponse>, ProblemHttpResult>> Activate(
        string version, ActivateRequest? request, ClaimsPrincipal user, ModelStore store, ModelLoader loader, RankerHolder holder, CancellationToken ct)
    {
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "activated through the API" : request.Reason.Trim()[..Math.Min(200, request.Reason.Trim().Length)];
        if (version is "rule-based" or RuleBasedScorer.VersionName)
        {
            await store.RetireActiveAsync(RuleBasedScorer.VersionName, user.CallerName(), reason, ct);
            loader.ServeBaseline();
            return TypedResults.Ok(new ActiveModelResponse(holder.Current.Version, RuleBasedScorer.VersionName, null));
        }

        if (await store.GetAsync(version, ct) is not { } model)
        {
            return MatchesApi.NotFoundProblem("model", version);
        }

        if (model.Status == ModelStatus.Rejected)
        {
            return TypedResults.Problem($"Model {version} was rejected: {model.StatusReason}", statusCode: StatusCodes.Status409Conflict, title: "Model rejected");
        }

        IRankingModel validated;
        try
        {
            validated = Engine.Learning.LearnedRankingModel.LoadValidated(await store.ArtifactAsync(version, ct) ?? "", version);
        }
        catch (InvalidDataException e)
        {
            await store.RejectAsync(version, e.Message, ct);
            MatchingMetrics.ModelLoadFailures.Add(1);
            return TypedResults.Problem($"Model {version} failed validation and was not activated: {e.Message}",
                statusCode: StatusCodes.Status422UnprocessableEntity, title: "Model failed validation");
        }

        await store.ActivateAsync(version, user.CallerName(), reason, ct);
        loader.Serve(validated);
        return TypedResults.Ok(new ActiveModelResponse(holder.Current.Version, version, null));
    }

    /// <summary>Training runs, newest first.</summary>
    public static async Task<Ok<IReadOnlyList<TrainingRunRecord>>> Runs(ModelStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.RunsAsync(ct));
}
