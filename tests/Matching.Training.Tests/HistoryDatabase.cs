using Matching.Data;
using Matching.Engine.Simulation;
using Microsoft.Data.Sqlite;

namespace Matching.Training.Tests;

/// <summary>
/// A real, migrated SQLite file and the stores over it. A simulated history is written once into a
/// template file; each test works on its own copy, so registry changes never leak between tests.
/// </summary>
public sealed class HistoryDatabase : IAsyncDisposable
{
    private HistoryDatabase(string file, TimeProvider clock)
    {
        File = file;
        Db = new MatchingDatabase(new DatabaseOptions { Engine = DatabaseEngine.Sqlite, ConnectionString = $"Data Source={file}" });
        Therapists = new TherapistStore(Db, clock);
        Shortlists = new ShortlistStore(Db);
        Feedback = new FeedbackStore(Db);
        Models = new ModelStore(Db, clock);
    }

    public string File { get; }

    public MatchingDatabase Db { get; }

    public TherapistStore Therapists { get; }

    public ShortlistStore Shortlists { get; }

    public FeedbackStore Feedback { get; }

    public ModelStore Models { get; }

    /// <summary>A new migrated database at <paramref name="file"/>, holding <paramref name="world"/> when given.</summary>
    public static async Task<HistoryDatabase> CreateAsync(string file, TimeProvider clock, SimulationResult? world = null)
    {
        var database = new HistoryDatabase(file, clock);
        await new Migrator(database.Db).ApplyAsync(clock);
        if (world is not null)
        {
            await SimulatedHistory.WriteAsync(world, database.Therapists, database.Shortlists, database.Feedback);
        }

        return database;
    }

    /// <summary>A copy of a closed database file, opened at <paramref name="file"/>.</summary>
    public static HistoryDatabase CopyOf(string template, string file, TimeProvider clock)
    {
        System.IO.File.Copy(template, file);
        return new HistoryDatabase(file, clock);
    }

    /// <summary>Closes every connection, so the file is complete (WAL checkpointed) and can be copied or deleted.</summary>
    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}
