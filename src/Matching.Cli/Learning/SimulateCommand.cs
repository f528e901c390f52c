using System.CommandLine;
using Matching.Cli.Store;
using Matching.Data;
using Matching.Engine.Simulation;
using Spectre.Console;

namespace Matching.Cli.Learning;

/// <summary>
/// <c>matching simulate</c>: a literature-grounded simulated directory and history written into
/// the configured database, and the hidden truth into a separate file for evaluation.
/// </summary>
internal static class SimulateCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var defaults = new SimulationOptions();
        var therapists = new Option<int>("--therapists") { Description = "Therapists in the directory.", DefaultValueFactory = _ => defaults.Therapists };
        var clients = new Option<int>("--clients") { Description = "Clients arriving over the period.", DefaultValueFactory = _ => defaults.Clients };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed gives the same world.", DefaultValueFactory = _ => defaults.Seed };
        var weeks = new Option<int>("--weeks") { Description = "Weeks the clients arrive over.", DefaultValueFactory = _ => defaults.Weeks };
        var truth = new Option<FileInfo>("--truth") { Description = "Where to write the hidden truth (JSON).", DefaultValueFactory = _ => new FileInfo("data/truth.json") };
        var database = new DatabaseOptionsBinding();
        var command = new Command("simulate", "Write a simulated directory and history of shortlists, choices, ratings and outcomes into the database.")
        {
            therapists, clients, seed, weeks, truth,
        };
        database.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var options = new SimulationOptions
            {
                Therapists = parse.GetValue(therapists),
                Clients = parse.GetValue(clients),
                Seed = parse.GetValue(seed),
                Weeks = parse.GetValue(weeks),
            };
            try
            {
                options.Validate();
                if (options.Therapists < 1)
                {
                    throw new ArgumentOutOfRangeException("--therapists", options.Therapists, "A directory needs at least one therapist.");
                }
            }
            catch (ArgumentException e)
            {
                console.MarkupLineInterpolated($"[red]{e.Message}[/]");
                return 2;
            }

            await using var db = await database.OpenAsync(parse, ct);
            var store = new TherapistStore(db, TimeProvider.System);
            var shortlists = new ShortlistStore(db);
            if (await store.CountAsync(ct) > 0 || await shortlists.CountAsync(ct) > 0)
            {
                console.MarkupLine("[red]The database already holds a directory or history; simulate into an empty database.[/]");
                return 2;
            }

            var truthFile = parse.GetValue(truth)!;
            (int Therapists, int Shortlists, int Choices, int Ratings, int Outcomes) counts = default;
            SimulationResult? world = null;
            await console.RunStagesAsync(
                // Off the calling thread, so a terminal's progress display keeps redrawing.
                ($"Simulate {options.Therapists} therapists and {options.Clients} clients", async () => world = await Task.Run(() => Simulator.Run(options), ct)),
                ("Write directory and history", async () => counts = await SimulatedHistory.WriteAsync(world!, store, shortlists, new FeedbackStore(db), ct)),
                ("Write hidden truth", async () =>
                {
                    truthFile.Directory?.Create();
                    await using var stream = truthFile.Create();
                    SimulationTruth.Write(stream, world!.Truth);
                }));
            console.MarkupLineInterpolated($"Simulated seed {options.Seed}: {counts.Therapists} therapists, {counts.Shortlists} shortlists, {counts.Choices} choices, {counts.Ratings} alliance ratings, {counts.Outcomes} outcome events.");
            console.MarkupLineInterpolated($"Hidden truth written to {truthFile.FullName} (never into the database).");
            return 0;
        });
        return command;
    }
}
