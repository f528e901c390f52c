using Matching.Data;
using Matching.Engine.Simulation;
using Microsoft.Extensions.Options;

namespace Matching.Api.Infrastructure;

/// <summary>Demo data settings, bound from <c>Matching:Demo</c>.</summary>
public sealed class DemoOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Matching:Demo";

    /// <summary>Fill an empty embedded (SQLite) database with the demo directory on start; default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Therapists in the demo directory; default 300.</summary>
    public int Therapists { get; set; } = 300;

    /// <summary>Seed of the demo directory; default 7.</summary>
    public int Seed { get; set; } = 7;
}

/// <summary>
/// The deterministic demo directory from the literature-grounded simulator, so a fresh clone
/// answers real match requests. Only an empty SQLite database is filled; a second start keeps
/// whatever is stored, and SQL Server is never seeded.
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

        var directory = Simulator.Directory(options.Therapists, options.Seed);
        await therapists.UpsertManyAsync(directory);
        logger.LogInformation("Seeded the demo directory: {Count} therapists (seed {Seed})", directory.Count, options.Seed);
    }
}
