using System.Security.Claims;
using Matching.Api.Infrastructure;
using Matching.Api.Matches;
using Matching.Api.Ranking;
using Matching.Data;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Api.Models;

/// <summary>The registry as the API shows it; every model names its trainer (<c>kind</c>) and library.</summary>
public sealed record ModelsResponse(string Serving, string? Active, ModelLoadFailure? LoadFailure, IReadOnlyList<ModelRecord> Models, IReadOnlyList<ModelActivation> Activations,
    string ServingTrainer, string ServingLibrary);

/// <summary>What serves here (and who trained it) and what the registry says should.</summary>
public sealed record ActiveModelResponse(string Serving, string RegistryActive, ModelLoadFailure? LoadFailure, string ServingTrainer, string ServingLibrary);

/// <summary>Who trained a serving model: the trainer and the library and version.</summary>
public static class Provenance
{
    /// <summary>The rule-based baseline's provenance: the engine's own weighted sum.</summary>
    public static ModelProvenance RuleBased { get; } = new("rule-based", ModelProvenance.Engine.Library);

    /// <summary>The provenance of a serving model.</summary>
    public static ModelProvenance Of(IRankingModel model) => model is LearnedRankingModel learned ? learned.Provenance : RuleBased;
}

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
    public static async Task<Ok<ModelsResponse>> List(ModelStore store, RankerHolder holder, ModelLoader loader, CancellationToken ct)
    {
        var serving = holder.Current;
        var provenance = Provenance.Of(serving);
        return TypedResults.Ok(new ModelsResponse(serving.Version, await store.ActiveVersionAsync(ct), loader.Failure,
            await store.ListAsync(ct), await store.ActivationsAsync(ct), provenance.Trainer, provenance.Library));
    }

    /// <summary>Serving and registry-active versions.</summary>
    public static async Task<Ok<ActiveModelResponse>> Active(ModelStore store, RankerHolder holder, ModelLoader loader, CancellationToken ct) =>
        TypedResults.Ok(Describe(holder, await store.ActiveVersionAsync(ct) ?? RuleBasedScorer.VersionName, loader.Failure));

    private static ActiveModelResponse Describe(RankerHolder holder, string registryActive, ModelLoadFailure? failure)
    {
        var serving = holder.Current;
        var provenance = Provenance.Of(serving);
        return new ActiveModelResponse(serving.Version, registryActive, failure, provenance.Trainer, provenance.Library);
    }

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
            return TypedResults.Ok(Describe(holder, RuleBasedScorer.VersionName, null));
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
            validated = LearnedRankingModel.LoadValidated(await store.ArtifactAsync(version, ct) ?? "", version);
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
        return TypedResults.Ok(Describe(holder, version, null));
    }

    /// <summary>Training runs, newest first.</summary>
    public static async Task<Ok<IReadOnlyList<TrainingRunRecord>>> Runs(ModelStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.RunsAsync(ct));
}
