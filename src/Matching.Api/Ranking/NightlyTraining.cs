using Matching.Data;
using Matching.Training;
using Microsoft.Extensions.Options;

namespace Matching.Api.Ranking;

/// <summary>In-process retraining, bound from <c>Matching:Training</c>. Off by default: the CronJob or systemd timer in deploy/ is the usual way.</summary>
public sealed class NightlyTrainingOptions
{
    /// <summary>Run the nightly training inside the API; default false. Enable on one replica only.</summary>
    public bool Enabled { get; set; }

    /// <summary>Time of day (UTC) to run; default 02:30.</summary>
    public TimeSpan TimeOfDay { get; set; } = new(2, 30, 0);

    /// <summary>Holdout NDCG@10 a challenger must gain to be promoted; default 0.002.</summary>
    public double Margin { get; set; } = 0.002;

    /// <summary>Where run reports go; default <c>reports/training</c>.</summary>
    public string ReportFolder { get; set; } = Path.Combine("reports", "training");
}

/// <summary>Runs <see cref="ModelTrainer"/> once a day when enabled, then serves the result at once on this replica.</summary>
public sealed class NightlyTrainingService(
    IOptions<NightlyTrainingOptions> options, FeedbackStore feedback, ModelStore models, ModelLoader loader, TimeProvider clock, ILogger<NightlyTrainingService> logger) : BackgroundService
{
    /// <summary>The next run time after <paramref name="now"/>.</summary>
    public static DateTimeOffset NextRun(DateTimeOffset now, TimeSpan timeOfDay)
    {
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero) + timeOfDay;
        return today > now ? today : today.AddDays(1);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            await Task.Delay(NextRun(now, o.TimeOfDay) - now, clock, stoppingToken);
            var trainer = new ModelTrainer(feedback, models, clock);
            var outcome = await trainer.RunAsync(new TrainingSettings(), new PromotionPolicy(o.Margin), o.ReportFolder, "nightly (in-process)", ct: stoppingToken);
            logger.LogInformation("Nightly training {Decision}: {Reason}", outcome.Run.Decision, outcome.Run.Reason);
            Infrastructure.MatchingMetrics.TrainingRuns.Add(1, new KeyValuePair<string, object?>("decision", outcome.Run.Decision));
            await loader.RefreshAsync(stoppingToken);
        }
    }
}
