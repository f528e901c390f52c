using Matching.Data;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Matching.Api.Infrastructure;

/// <summary>Database registration and start-up preparation.</summary>
public static class DataSetup
{
    /// <summary>Adds the database, the migrator and the stores.</summary>
    public static void AddMatchingData(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section)
            .Validate(o => o.Engine != DatabaseEngine.SqlServer || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "Matching:Database:ConnectionString is required for SQL Server.")
            .Validate(o => o.MaxRetries is >= 0 and <= 10, "Matching:Database:MaxRetries must be 0-10.")
            .Validate(o => o.GroupCommitMaxBatch >= 1, "Matching:Database:GroupCommitMaxBatch must be at least 1.")
            .ValidateOnStart();
        builder.Services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.Section)
            .Validate(o => o.Therapists is >= 0 and <= 20_000, "Matching:Demo:Therapists must be 0-20000.")
            .Validate(o => o.Clients is >= 0 and <= 200_000, "Matching:Demo:Clients must be 0-200000.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new MatchingDatabase(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value));
        builder.Services.AddSingleton<Migrator>();
        builder.Services.AddSingleton<TherapistStore>();
        builder.Services.AddSingleton<ShortlistStore>();
        builder.Services.AddSingleton<FeedbackStore>();
        builder.Services.AddSingleton<ClientStore>();
        builder.Services.AddSingleton<ModelStore>();
    }

    /// <summary>
    /// Applies migrations where the engine does so on start (SQLite), and fills an empty embedded
    /// database with the deterministic demo directory.
    /// </summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        var db = app.Services.GetRequiredService<MatchingDatabase>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Matching.Database");
        if (db.MigrateOnStart)
        {
            var applied = await app.Services.GetRequiredService<Migrator>().ApplyAsync(app.Services.GetRequiredService<TimeProvider>());
            foreach (var m in applied)
            {
                logger.LogInformation("Applied migration {Number} {Name}", m.Number, m.Name);
            }
        }

        await DemoData.SeedIfEmptyAsync(app.Services, logger);
        await app.Services.GetRequiredService<Ranking.ModelLoader>().RefreshAsync(CancellationToken.None);
    }
}
