using Matching.Data;
using Matching.Engine.Allocation;
using Microsoft.Extensions.Options;

namespace Matching.Api.Ranking;

/// <summary>Capacity price settings, bound from <c>Matching:Capacity</c>.</summary>
public sealed class CapacityOptions
{
    /// <summary>Whether capacity prices are solved and used in ranking; default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How the prices are learned; the defaults are <see cref="CapacityPricing"/>'s (solved every 6 hours on a four-week forecast window, step 1).</summary>
    public CapacityPricing Pricing { get; set; } = new();
}

/// <summary>
/// Solves the therapists' capacity prices off the request path: the requests stored in the
/// forecast window (<see cref="CapacityPricing.Window"/>) against the current snapshot and
/// model, blended into the prices in use by the step, and handed to the snapshot at once.
/// </summary>
public sealed class CapacityPricer(DirectoryCache directory, RankerHolder ranker, ShortlistStore shortlists, IOptions<CapacityOptions> options, TimeProvider clock, ILogger<CapacityPricer> logger)
{
    private readonly SemaphoreSlim _solving = new(1, 1);

    /// <summary>Solves the prices now and swaps them into the snapshot.</summary>
    public async Task SolveAsync(CancellationToken ct)
    {
        await _solving.WaitAsync(ct);
        try
        {
            var pricing = options.Value.Pricing;
            var now = clock.GetUtcNow();
            var snapshot = await directory.GetAsync(ct);
            var model = ranker.Current;
            var window = new List<Engine.Domain.ClientPreferences>();
            foreach (var (from, to) in pricing.Window(now))
            {
                window.AddRange((await shortlists.FirstRequestsAsync(from, to, ct)).Select(r => r.Request));
            }

            var solved = pricing.Solve(snapshot, model, window);
            var prices = new Dictionary<string, double>(solved, StringComparer.Ordinal);
            if (snapshot.PricesModelVersion == model.Version)
            {
                // A damped step from the prices in use (a therapist absent from either side counts as 0).
                foreach (var id in solved.Keys)
                {
                    var old = snapshot.PriceOf(id);
                    prices[id] = old + (pricing.Step * (solved[id] - old));
                }
            }

            directory.PricesSolved(model.Version, prices, now);
            logger.LogInformation("Capacity prices solved on {Requests} requests: {Priced} of {Therapists} therapists priced",
                window.Count, prices.Count(p => p.Value > 0), prices.Count);
        }
        finally
        {
            _solving.Release();
        }
    }
}

/// <summary>Solves capacity prices every <see cref="CapacityPricing.Refresh"/>, off the request path.</summary>
public sealed class CapacityPriceService(CapacityPricer pricer, IOptions<CapacityOptions> options, TimeProvider clock, ILogger<CapacityPriceService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.Pricing.Refresh, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await pricer.SolveAsync(stoppingToken);
            }
            catch (System.Data.Common.DbException e)
            {
                // The prices in use keep serving until the next solve.
                logger.LogWarning("Capacity prices not solved: {Error}", e.GetType().Name);
            }
        }
    }
}
