using Matching.Data;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Microsoft.Extensions.Options;

namespace Matching.Api.Ranking;

/// <summary>Directory cache settings, bound from <c>Matching:Directory</c>.</summary>
public sealed class DirectoryOptions
{
    /// <summary>How long a snapshot serves before it is reloaded (changes made by other replicas show up within this); default 30 s.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>An immutable view of the listed therapists with capacity left this week and track records.</summary>
public sealed record DirectorySnapshot(IReadOnlyList<Candidate> Candidates, DateTimeOffset LoadedAt, DateTimeOffset WeekStart);

/// <summary>
/// Keeps the directory in memory so a match costs no directory queries. Writes made through this
/// replica invalidate it at once; writes from other replicas show within the refresh interval.
/// </summary>
public sealed class DirectoryCache(TherapistStore therapists, ShortlistStore shortlists, FeedbackStore feedback, TimeProvider clock, IOptions<DirectoryOptions> options)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DirectorySnapshot? _snapshot;
    private int _version;

    /// <summary>The current snapshot, reloaded when stale, invalidated or a new week began.</summary>
    public async ValueTask<DirectorySnapshot> GetAsync(CancellationToken ct)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && Fresh(snapshot))
        {
            return snapshot;
        }

        await _gate.WaitAsync(ct);
        try
        {
            snapshot = Volatile.Read(ref _snapshot);
            if (snapshot is not null && Fresh(snapshot))
            {
                return snapshot;
            }

            var version = Volatile.Read(ref _version);
            snapshot = await LoadAsync(ct);
            // Only publish as fresh if nothing was invalidated while loading.
            Volatile.Write(ref _snapshot, version == Volatile.Read(ref _version) ? snapshot : snapshot with { LoadedAt = DateTimeOffset.MinValue });
            return snapshot;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Marks the snapshot stale after a write (directory change, a choice that uses capacity, a rating).</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _version);
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null)
        {
            Volatile.Write(ref _snapshot, snapshot with { LoadedAt = DateTimeOffset.MinValue });
        }
    }

    private bool Fresh(DirectorySnapshot s)
    {
        var now = clock.GetUtcNow();
        return now - s.LoadedAt < options.Value.RefreshInterval && Calendar.WeekStart(now) == s.WeekStart;
    }

    private async Task<DirectorySnapshot> LoadAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var week = Calendar.WeekStart(now);
        var profiles = await therapists.ActiveProfilesAsync(ct);
        var used = await shortlists.NewClientsSinceAsync(week, ct);
        var tracks = await feedback.TrackRecordsAsync(now, ct);
        var candidates = profiles.Select(p => new Candidate(
            p,
            p.WeeklyNewClientCapacity - used.GetValueOrDefault(p.Id),
            tracks.GetValueOrDefault(p.Id) ?? TrackRecord.None)).ToList();
        return new DirectorySnapshot(candidates, now, week);
    }
}

/// <summary>Registration.</summary>
public static class RankingSetup
{
    /// <summary>Adds the model holder and the directory cache.</summary>
    public static void AddRanking(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DirectoryOptions>().BindConfiguration("Matching:Directory")
            .Validate(o => o.RefreshInterval > TimeSpan.Zero, "Matching:Directory:RefreshInterval must be positive.")
            .ValidateOnStart();
        builder.Services.AddOptions<ModelOptions>().BindConfiguration("Matching:Models")
            .Validate(o => o.RefreshInterval >= TimeSpan.FromSeconds(1), "Matching:Models:RefreshInterval must be at least 1 s.")
            .ValidateOnStart();
        builder.Services.AddSingleton<RankerHolder>();
        builder.Services.AddSingleton<ModelLoader>();
        builder.Services.AddHostedService<ModelRefreshService>();
        builder.Services.AddOptions<NightlyTrainingOptions>().BindConfiguration("Matching:Training")
            .Validate(o => o.TimeOfDay >= TimeSpan.Zero && o.TimeOfDay < TimeSpan.FromDays(1), "Matching:Training:TimeOfDay must be a time of day.")
            .Validate(o => o.Margin >= 0, "Matching:Training:Margin must not be negative.")
            .ValidateOnStart();
        builder.Services.AddHostedService<NightlyTrainingService>();
        builder.Services.AddSingleton<DirectoryCache>();
    }
}
