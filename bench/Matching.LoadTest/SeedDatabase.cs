using System.Diagnostics;
using Matching.Data;
using Matching.Engine.Simulation;
using Matching.Training;
using Microsoft.Data.Sqlite;

namespace Matching.LoadTest;

/// <summary>What the seed database holds, for the report.</summary>
public sealed record SeedSummary(
    int HistoryTherapists, int Clients, int Seed, int Shortlists, int Ratings, int Outcomes,
    string ModelVersion, int Trees, string Decision, string Reason, double Seconds);

/// <summary>
/// The history and the learned model every system under test starts from, made once per run and
/// copied for each system: the demo's simulated world (the same simulator, seed and size the API's
/// demo seeding uses) and a nightly-size LambdaMART trained on it through the real trainer and
/// promotion gate. The nightly settings stop early; here early stopping is off so the model has
/// exactly the requested number of trees. The gate's verdict is printed; the model is promoted
/// with <c>force</c> when the gate would keep the baseline, so the learned model always serves
/// (and the run record says so).
/// </summary>
public static class SeedDatabase
{
    public static async Task<SeedSummary> CreateAsync(string file, int therapists, int clients, int seed, int trees, string reports, CancellationToken ct)
    {
        if (File.Exists(file))
        {
            throw new InvalidOperationException($"{file} exists; the seed database must be fresh.");
        }

        var watch = Stopwatch.StartNew();
        var connection = new SqliteConnectionStringBuilder { DataSource = file }.ToString();
        SeedSummary summary;
        await using (var db = new MatchingDatabase(new DatabaseOptions { ConnectionString = connection }))
        {
            await new Migrator(db).ApplyAsync(TimeProvider.System, ct);
            var world = Simulator.Run(new SimulationOptions { Therapists = therapists, Clients = clients, Seed = seed });
            var feedback = new FeedbackStore(db);
            var counts = await SimulatedHistory.WriteAsync(world, new TherapistStore(db, TimeProvider.System), new ShortlistStore(db), feedback, ct);
            Console.WriteLine($"seed: simulated {counts.Therapists} therapists, {counts.Shortlists} shortlists, {counts.Ratings} alliance ratings, {counts.Outcomes} outcome events (seed {seed}) in {watch.Elapsed.TotalSeconds:0} s");

            var defaults = new TrainingSettings();
            var settings = defaults with { Model = defaults.Model with { Trees = trees, EarlyStoppingRounds = 0 } };
            var trainer = new ModelTrainer(feedback, new ModelStore(db, TimeProvider.System), TimeProvider.System);
            var outcome = await trainer.RunAsync(settings, new PromotionPolicy(Force: true), reports, "load-scale harness", null, ct);
            if (outcome.Failed || outcome.ActivatedVersion is null)
            {
                throw new InvalidOperationException($"Training failed: {outcome.Run.Reason}");
            }

            // The tree count as the registry stored it, not as requested.
            var stored = await new ModelStore(db, TimeProvider.System).GetAsync(outcome.ActivatedVersion, ct);
            var treeCount = (int)(stored?.Metrics.GetValueOrDefault("trees") ?? -1);
            Console.WriteLine($"seed: model {outcome.ActivatedVersion}, {treeCount} trees ({outcome.Run.Decision}: {outcome.Run.Reason})");
            summary = new SeedSummary(counts.Therapists, clients, seed, counts.Shortlists, counts.Ratings, counts.Outcomes,
                outcome.ActivatedVersion, treeCount, outcome.Run.Decision, outcome.Run.Reason, watch.Elapsed.TotalSeconds);
        }

        // Closing the pooled connections checkpoints the WAL into the file, so the file alone is the database.
        SqliteConnection.ClearAllPools();
        return summary;
    }
}
