using Matching.Data;
using Matching.Engine.Simulation;
using Matching.Training;
using Microsoft.Extensions.Options;

namespace Matching.Api.Infrastructure;

/// <summary>Demo data settings, bound from <c>Matching:Demo</c>.</summary>
public sealed class DemoOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Matching:Demo";

    /// <summary>Fill an empty embedded (SQLite) database with demo data on start; default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Therapists in the demo directory; default 300.</summary>
    public int Therapists { get; set; } = 300;

    /// <summary>Simulated clients in the demo history (0: directory only, the rule-based baseline serves); default 15,000.</summary>
    public int Clients { get; set; } = 15_000;

    /// <summary>Seed of the demo world; default 7.</summary>
    public int Seed { get; set; } = 7;

    /// <summary>Where the simulator's hidden truth and the first training report go; default the data folder's <c>demo</c>.</summary>
    public string Folder { get; set; } = Path.Combine("data", "demo");
}

/// <summary>
/// Deterministic demo data from the literature-grounded simulator, so a fresh clone answers real
/// match requests with a trained model: a directory, a year of simulated shortlists, choices,
/// alliance ratings and outcomes, and a LambdaMART model trained on them through the same
/// promotion gate as the nightly run (it serves only if it beats the rule-based baseline on the
/// holdout). Only an empty SQLite database is filled; SQL Server is never seeded.
/// </summary>
public static class DemoData
{
    /// <summary>Seeds the demo data when enabled and the directory is empty.</summary>
    public static async Task SeedIfEmptyAsync(IServiceProvider services, ILogger logger)
    {
        var options = services.GetRequiredService<IOptions<DemoOptions>>().Value;
        var db = services.GetRequiredService<MatchingDatabase>();
        var therapists = services.GetRequiredService<TherapistStore>();
        if (!options.Enabled || options.Therapists == 0 || db.Engine != DatabaseEngine.Sqlite || await therapists.CountAsync() > 0)
        {
            return;
        }

        if (options.Clients == 0)
        {
            var directory = Simulator.Directory(options.Therapists, options.Seed);
            await therapists.UpsertManyAsync(directory);
            logger.LogInformation("Seeded the demo directory: {Count} therapists (seed {Seed})", directory.Count, options.Seed);
            return;
        }

        var world = Simulator.Run(new SimulationOptions { Therapists = options.Therapists, Clients = options.Clients, Seed = options.Seed });
        var feedback = services.GetRequiredService<FeedbackStore>();
        var counts = await SimulatedHistory.WriteAsync(world, therapists, services.GetRequiredService<ShortlistStore>(), feedback);
        Directory.CreateDirectory(options.Folder);
        await using (var truth = File.Create(Path.Combine(options.Folder, "truth.json")))
        {
            SimulationTruth.Write(truth, world.Truth);
        }

        logger.LogInformation("Seeded demo data (seed {Seed}): {Therapists} therapists, {Shortlists} shortlists, {Ratings} alliance ratings, {Outcomes} outcome events",
            options.Seed, counts.Therapists, counts.Shortlists, counts.Ratings, counts.Outcomes);
        var trainer = new ModelTrainer(feedback, services.GetRequiredService<ModelStore>(), services.GetRequiredService<TimeProvider>());
        var outcome = await trainer.RunAsync(new TrainingSettings(), new PromotionPolicy(), Path.Combine(options.Folder, "training"), "demo seed");
        logger.LogInformation("Demo model training {Decision}: {Reason}", outcome.Run.Decision, outcome.Run.Reason);
    }
}
