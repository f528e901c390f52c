using Matching.Data;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Microsoft.Extensions.Options;

namespace Matching.Api.Ranking;

/// <summary>Model serving settings, bound from <c>Matching:Models</c>.</summary>
public sealed class ModelOptions
{
    /// <summary>How often each replica checks the registry for a newly activated model; default 30 s.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Why the registry's active model is not the one serving here.</summary>
public sealed record ModelLoadFailure(string Version, string Reason, DateTimeOffset At);

/// <summary>
/// Keeps the served model in step with the registry's active one. A new model is loaded and
/// validated off the request path and swapped in atomically; requests already running finish
/// on the model they read. A model that fails to load or validate is never served: the previous
/// one keeps serving and the reason is kept for <c>/health/ready</c> and <c>GET /v1/models</c>.
/// </summary>
public sealed class ModelLoader(ModelStore models, RankerHolder holder, TimeProvider clock, ILogger<ModelLoader> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ModelLoadFailure? _failure;

    /// <summary>The last failure to load the registry's active model, or null when it serves.</summary>
    public ModelLoadFailure? Failure => Volatile.Read(ref _failure);

    /// <summary>Loads the registry's active model if it is not the one serving.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var active = await models.ActiveVersionAsync(ct);
            if (active is null)
            {
                if (holder.Current is not RuleBasedScorer)
                {
                    holder.Swap(RuleBasedScorer.Instance);
                    logger.LogInformation("No model is active: serving {Version}", RuleBasedScorer.VersionName);
                }

                Volatile.Write(ref _failure, null);
                return;
            }

            if (active == holder.Current.Version || active == Failure?.Version)
            {
                return;
            }

            var artifact = await models.ArtifactAsync(active, ct);
            try
            {
                var model = LearnedRankingModel.LoadValidated(artifact ?? throw new InvalidDataException("The artifact is missing."), active);
                holder.Swap(model);
                Volatile.Write(ref _failure, null);
                logger.LogInformation("Serving model {Version}", model.Version);
            }
            catch (InvalidDataException e)
            {
                Volatile.Write(ref _failure, new ModelLoadFailure(active, e.Message, clock.GetUtcNow()));
                Infrastructure.MatchingMetrics.ModelLoadFailures.Add(1);
                await models.NoteAsync(active, $"could not be served: {e.Message}", ct);
                logger.LogError("Active model {Version} could not be loaded; {Serving} keeps serving: {Reason}", active, holder.Current.Version, e.Message);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Swaps in a model already validated and activated through this replica, without waiting for the next poll.</summary>
    public void Serve(IRankingModel model)
    {
        holder.Swap(model);
        Volatile.Write(ref _failure, null);
    }

    /// <summary>Serves the rule-based baseline at once (after a rollback to it through this replica).</summary>
    public void ServeBaseline()
    {
        holder.Swap(RuleBasedScorer.Instance);
        Volatile.Write(ref _failure, null);
    }
}

/// <summary>Polls the registry on an interval so every replica picks up an activation without a restart.</summary>
public sealed class ModelRefreshService(ModelLoader loader, IOptions<ModelOptions> options, TimeProvider clock, ILogger<ModelRefreshService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await loader.RefreshAsync(stoppingToken);
            }
            catch (System.Data.Common.DbException e)
            {
                // The database may be briefly unreachable; the current model keeps serving.
                logger.LogWarning("Model refresh skipped: {Error}", e.GetType().Name);
            }
        }
    }
}
