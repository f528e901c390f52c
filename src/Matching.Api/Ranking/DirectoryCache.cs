using Matching.Data;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Matching.Training;
using Microsoft.Extensions.Options;

namespace Matching.Api.Ranking;

/// <summary>Directory snapshot settings, bound from <c>Matching:Directory</c>.</summary>
public sealed class DirectoryOptions
{
    /// <summary>
    /// How often the snapshot is rebuilt from the database in the background, which is how
    /// listings, choices and ratings written by other replicas reach this one; default 30 s.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Holds the immutable <see cref="TherapistDirectory"/> that matches read. A request never waits
/// for the database (only the very first ones, before the first load): a write made through
/// this replica is applied to a new snapshot at once (a listing, a place used, a rating), copying
/// only what it touches, and swapped in before the write returns; a background rebuild from the
/// database picks up other replicas' writes every <see cref="DirectoryOptions.RefreshInterval"/>.
/// Listing changes and places used that happen while a rebuild reads are applied again on top of
/// it, so the swap cannot lose them (a place may then count twice until the next rebuild, which
/// errs on the side of never exceeding capacity); a rating that lands during a rebuild's read may
/// be left out of the track record until the next rebuild.
/// </summary>
public sealed class DirectoryCache(TherapistStore therapists, ShortlistStore shortlists, FeedbackStore feedback, TimeProvider clock, ILogger<DirectoryCache> logger)
{
    private readonly Lock _write = new();
    private readonly SemaphoreSlim _rebuilding = new(1, 1);
    private TherapistDirectory? _current;
    private List<Action<TherapistDirectory.Builder>>? _replay;
    private Task? _first;
    private IReadOnlyDictionary<string, DateTime> _versions = new Dictionary<string, DateTime>();
    // Versions of the listings this replica wrote since the last rebuild started (under _write).
    private Dictionary<string, DateTime> _written = new(StringComparer.Ordinal);
    private Action<TherapistDirectory.Builder>? _prices;

    /// <summary>When the snapshot was last rebuilt from the database.</summary>
    public DateTimeOffset? RebuiltAt { get; private set; }

    /// <summary>What the last rebuild read and changed.</summary>
    public RebuildReport? LastRebuild { get; private set; }

    /// <summary>
    /// How long the track records are followed rating by rating before a rebuild reads them in
    /// full again: 10 minutes. The full read is the backstop for anything the numbered ratings do
    /// not show (a rating deleted outside the API).
    /// </summary>
    public static readonly TimeSpan FullTrackReadEvery = TimeSpan.FromMinutes(10);

    /// <summary>The current snapshot; the first calls wait for the first load, and a new week frees every place.</summary>
    public ValueTask<TherapistDirectory> GetAsync(CancellationToken ct)
    {
        var current = Volatile.Read(ref _current);
        if (current is null)
        {
            return new(FirstAsync(ct));
        }

        return Calendar.WeekStart(clock.GetUtcNow()) > current.WeekStart ? new(Change(_ => { }, replay: false)!) : new(current);
    }

    /// <summary>Rebuilds the snapshot from the database and swaps it in.</summary>
    public async Task RebuildAsync(CancellationToken ct)
    {
        await _rebuilding.WaitAsync(ct);
        try
        {
            Dictionary<string, DateTime> written;
            lock (_write)
            {
                _replay = [];
                written = _written;
                _written = new(StringComparer.Ordinal);
            }

            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var now = clock.GetUtcNow();
            var week = Calendar.WeekStart(now);
            var versions = await therapists.ListedVersionsAsync(ct);
            var (profiles, read) = await ListedProfilesAsync(versions, written, ct);
            var used = await shortlists.NewClientsSinceAsync(week, ct);
            var (tracks, followed) = await TrackRecordsAsync(now, ct);
            // The prior is measured on every stored rating, unlisted therapists' too.
            var prior = AlliancePrior.Of(tracks.Values);
            var madeAnew = false;
            var changed = 0;
            lock (_write)
            {
                TherapistDirectory.Builder builder;
                var current = _current;
                if (current is not null && current.WeekStart == week && Math.Abs(current.Prior.Mean - prior.Mean) < PriorTolerance
                    && (current.Prior.Ratings >= AlliancePrior.MinimumRatings) == (prior.Ratings >= AlliancePrior.MinimumRatings))
                {
                    // The usual case: the database differs from this replica's snapshot in what other
                    // replicas wrote since the last rebuild. Only those therapists are written, so a
                    // rebuild copies a few chunks instead of making (and collecting) a whole directory.
                    builder = current.ToBuilder();
                    changed = ApplyDifferences(current, builder, profiles, used, tracks);
                }
                else
                {
                    builder = TherapistDirectory.Create(
                        profiles.Select(p => new Candidate(p, p.WeeklyNewClientCapacity - used.GetValueOrDefault(p.Id), tracks.GetValueOrDefault(p.Id) ?? TrackRecord.None)), week,
                        prior).ToBuilder();
                    madeAnew = true;
                }

                builder.RollOver(Calendar.WeekStart(clock.GetUtcNow()));
                if (madeAnew)
                {
                    // A snapshot made anew numbers its slots afresh; one written from the current
                    // snapshot keeps the slots, and with them the prices it already holds.
                    _prices?.Invoke(builder);
                }
                foreach (var change in _replay!)
                {
                    change(builder);
                }

                Volatile.Write(ref _current, builder.ToDirectory());
                RebuiltAt = now;
                _versions = versions;
            }

            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            LastRebuild = new RebuildReport(profiles.Count, read, changed, madeAnew, followed, elapsed);
            logger.LogInformation("Directory rebuilt from the database: {Listed} listed therapists ({Read} profiles read again, {Tracks}, {Changed} therapists changed{Full}) in {Milliseconds:0} ms",
                profiles.Count, read, followed is { } n ? $"{n} new ratings followed" : "track records read in full", changed, madeAnew ? ", made anew" : "", elapsed.TotalMilliseconds);
        }
        finally
        {
            lock (_write)
            {
                _replay = null;
            }

            _rebuilding.Release();
        }
    }

    // The track records as the database holds them, kept between rebuilds (only RebuildAsync,
    // which runs one at a time, touches it). The snapshot's own records may be ahead of it by the
    // ratings this replica added since.
    private sealed class TrackBook(Dictionary<string, TrackRecord> tracks, long rating, long erasure, DateTimeOffset readAt)
    {
        public Dictionary<string, TrackRecord> Tracks { get; } = tracks;

        public long Rating { get; set; } = rating;

        public long Erasure { get; } = erasure;

        public DateTimeOffset ReadAt { get; } = readAt;
    }

    private TrackBook? _book;

    // Every therapist's track record as stored. On SQLite, whose ratings become visible in the
    // order they are numbered, a rebuild adds only the ratings stored since the last one (one
    // small read instead of aggregating every rating every 30 s); it reads them all again after an
    // erasure (which deletes ratings), every FullTrackReadEvery, and on SQL Server every time.
    // Returns the records and how many new ratings were followed (null: read in full).
    private async Task<(IReadOnlyDictionary<string, TrackRecord> Tracks, int? Followed)> TrackRecordsAsync(DateTimeOffset now, CancellationToken ct)
    {
        var (rating, erasure) = await feedback.RatingMarksAsync(ct);
        if (_book is { } book && feedback.RatingsFollowInOrder && book.Erasure == erasure && rating >= book.Rating && now - book.ReadAt < FullTrackReadEvery)
        {
            var added = rating > book.Rating ? await feedback.RatingsBetweenAsync(book.Rating, rating, ct) : [];
            foreach (var (therapist, goal, overall) in added)
            {
                book.Tracks[therapist] = (book.Tracks.GetValueOrDefault(therapist) ?? TrackRecord.None).With(goal, overall);
            }

            book.Rating = rating;
            return (book.Tracks, added.Count);
        }

        var tracks = await feedback.TrackRecordsAsync(now, rating, ct);
        _book = new TrackBook(new Dictionary<string, TrackRecord>(tracks, StringComparer.Ordinal), rating, erasure, now);
        return (_book.Tracks, null);
    }

    /// <summary>
    /// How far the measured prior may move before a rebuild makes the snapshot anew with it
    /// (every entry's track features are shrunk towards it): 0.001 on the 0-1 scale, a twentieth
    /// of a WAI-SR point. Below it the snapshot keeps its prior and a rebuild writes only the
    /// therapists whose listing, places used or track record differ.
    /// </summary>
    public const double PriorTolerance = 0.001;

    // Writes into the builder every listed therapist whose profile, places used this week or track
    // record differ from the snapshot's, and unlists those no longer listed; returns how many.
    private static int ApplyDifferences(TherapistDirectory current, TherapistDirectory.Builder builder, List<TherapistProfile> profiles,
        IReadOnlyDictionary<string, int> used, IReadOnlyDictionary<string, TrackRecord> tracks)
    {
        var changed = 0;
        var listed = new HashSet<string>(profiles.Count, StringComparer.Ordinal);
        foreach (var p in profiles)
        {
            listed.Add(p.Id);
            var track = tracks.GetValueOrDefault(p.Id) ?? TrackRecord.None;
            var usedThisWeek = used.GetValueOrDefault(p.Id);
            if (current.Find(p.Id) is not { } held || !current.IsListed(p.Id) || !ReferenceEquals(held.Profile, p)
                || held.CapacityLeft != p.WeeklyNewClientCapacity - usedThisWeek || !SameTrack(held.Track, track))
            {
                builder.Set(p, true, usedThisWeek, track);
                changed++;
            }
        }

        foreach (var c in current.ListedCandidates())
        {
            if (!listed.Contains(c.Profile.Id))
            {
                builder.SetListing(c.Profile, false);
                changed++;
            }
        }

        return changed;
    }

    private static bool SameTrack(TrackRecord a, TrackRecord b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Ratings != b.Ratings || a.MeanAlliance != b.MeanAlliance || a.ByGoal.Count != b.ByGoal.Count)
        {
            return false;
        }

        foreach (var (goal, value) in a.ByGoal)
        {
            if (!b.ByGoal.TryGetValue(goal, out var other) || other != value)
            {
                return false;
            }
        }

        return true;
    }

    // The profiles of the listed therapists: the ones whose listing has not changed since the last
    // rebuild, or was last written through this replica, are taken from the current snapshot; the
    // rest are read (and parsed) again. Two writes of one listing applied here out of order note
    // the older version, which then differs from the stored one, so that profile is read again.
    private async Task<(List<TherapistProfile> Profiles, int Read)> ListedProfilesAsync(
        IReadOnlyDictionary<string, DateTime> versions, Dictionary<string, DateTime> written, CancellationToken ct)
    {
        var current = Volatile.Read(ref _current);
        var known = _versions;
        var profiles = new List<TherapistProfile>(versions.Count);
        var changed = new List<string>();
        foreach (var (id, at) in versions)
        {
            var same = (written.TryGetValue(id, out var wrote) && wrote == at) || (!written.ContainsKey(id) && known.TryGetValue(id, out var was) && was == at);
            if (same && current?.Find(id) is { } unchanged)
            {
                profiles.Add(unchanged.Profile);
            }
            else
            {
                changed.Add(id);
            }
        }

        foreach (var chunk in changed.Chunk(1000))
        {
            profiles.AddRange((await therapists.GetManyAsync(chunk, ct)).Values);
        }

        return (profiles, changed.Count);
    }

    /// <summary>
    /// Applies listing writes that were just stored (created, replaced, unlisted, listed again):
    /// from the moment this returns no match on this replica sees the old listing. A therapist new
    /// to the snapshot gets its places used this week and its track record from the database.
    /// The version stored with each listed profile is remembered, so the next rebuild does not
    /// read and parse again a profile this replica wrote itself.
    /// </summary>
    public async Task ListingsChangedAsync(IReadOnlyList<TherapistRecord> changes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var current = await GetAsync(ct);
        IReadOnlyDictionary<string, int> used = new Dictionary<string, int>();
        IReadOnlyDictionary<string, TrackRecord> tracks = new Dictionary<string, TrackRecord>();
        if (changes.Any(c => c.Active && current.Find(c.Profile.Id) is null))
        {
            var now = clock.GetUtcNow();
            used = await shortlists.NewClientsSinceAsync(Calendar.WeekStart(now), ct);
            tracks = await feedback.TrackRecordsAsync(now, ct: ct);
        }

        Change(b =>
        {
            foreach (var (profile, listed, version) in changes)
            {
                if (listed)
                {
                    _written[profile.Id] = version.UtcDateTime;
                }

                if (b.Contains(profile.Id))
                {
                    b.SetListing(profile, listed);
                }
                else if (listed)
                {
                    b.Set(profile, true, used.GetValueOrDefault(profile.Id), tracks.GetValueOrDefault(profile.Id) ?? TrackRecord.None);
                }
            }
        }, replay: true);
    }

    /// <summary>Counts a choice just stored at <paramref name="at"/> against the therapist's places this week.</summary>
    public void ChoiceRecorded(string therapistId, DateTimeOffset at) =>
        Change(b =>
        {
            if (Calendar.WeekStart(at) == b.WeekStart)
            {
                b.UseCapacity(therapistId);
            }
        }, replay: true);

    /// <summary>Swaps in capacity prices just solved for a model; every later rebuild keeps them until the next solve.</summary>
    public void PricesSolved(string modelVersion, IReadOnlyDictionary<string, double> prices, DateTimeOffset solvedAt)
    {
        void Set(TherapistDirectory.Builder b) => b.SetPrices(modelVersion, prices, solvedAt);
        lock (_write)
        {
            _prices = Set;
        }

        Change(Set, replay: false);
    }

    /// <summary>Adds a rating just stored to the therapist's track record.</summary>
    public void RatingRecorded(string therapistId, Goal? firstGoal, double overall) =>
        Change(b => b.AddRating(therapistId, firstGoal, overall), replay: false);

    private async Task<TherapistDirectory> FirstAsync(CancellationToken ct)
    {
        Task first;
        lock (_write)
        {
            if (_first is null || _first.IsFaulted || _first.IsCanceled)
            {
                _first = RebuildAsync(CancellationToken.None);
            }

            first = _first;
        }

        await first.WaitAsync(ct);
        return await GetAsync(ct);
    }

    // Writers take turns; readers never lock. Before the first load there is nothing to change:
    // the load reads the database, which already holds the write.
    private TherapistDirectory? Change(Action<TherapistDirectory.Builder> change, bool replay)
    {
        lock (_write)
        {
            if (_current is null)
            {
                return null;
            }

            var builder = _current.ToBuilder();
            builder.RollOver(Calendar.WeekStart(clock.GetUtcNow()));
            change(builder);
            if (replay)
            {
                _replay?.Add(change);
            }

            var next = builder.ToDirectory();
            Volatile.Write(ref _current, next);
            return next;
        }
    }
}

/// <summary>What one rebuild of the directory snapshot read and changed.</summary>
/// <param name="Listed">Listed therapists in the database.</param>
/// <param name="ProfilesRead">Profiles read and parsed again (changed since the last rebuild, and not written through this replica).</param>
/// <param name="Changed">Therapists written into the snapshot (listing, places used or track record differed).</param>
/// <param name="MadeAnew">Whether the snapshot was made anew (a new week, or the prior moved).</param>
/// <param name="RatingsFollowed">New ratings added to the track records, or null when they were read in full.</param>
/// <param name="Elapsed">How long the rebuild took.</param>
public sealed record RebuildReport(int Listed, int ProfilesRead, int Changed, bool MadeAnew, int? RatingsFollowed, TimeSpan Elapsed);

/// <summary>Loads the directory at start and rebuilds it from the database on an interval, off the request path.</summary>
public sealed class DirectoryRefreshService(DirectoryCache directory, IOptions<DirectoryOptions> options, TimeProvider clock, ILogger<DirectoryRefreshService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await directory.GetAsync(stoppingToken);
        }
        catch (System.Data.Common.DbException e)
        {
            logger.LogWarning("First directory load failed, retried at the first match: {Error}", e.GetType().Name);
        }

        using var timer = new PeriodicTimer(options.Value.RefreshInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await directory.RebuildAsync(stoppingToken);
            }
            catch (System.Data.Common.DbException e)
            {
                // The database may be briefly unreachable; the current snapshot keeps serving.
                logger.LogWarning("Directory rebuild skipped: {Error}", e.GetType().Name);
            }
        }
    }
}

/// <summary>Registration.</summary>
public static class RankingSetup
{
    /// <summary>Adds the model holder and the directory snapshot with their refresh services.</summary>
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
            .Validate(o => o.Trainers is null || (o.Trainers.Length > 0 && o.Trainers.All(t => RankingTrainers.Parse(t) is not null)),
                $"Matching:Training:Trainers must list one or more of {string.Join(", ", RankingTrainers.Names)}.")
            .ValidateOnStart();
        builder.Services.AddHostedService<NightlyTrainingService>();
        builder.Services.AddSingleton<DirectoryCache>();
        builder.Services.AddHostedService<DirectoryRefreshService>();
        builder.Services.AddOptions<CapacityOptions>().BindConfiguration("Matching:Capacity")
            .Validate(o => { o.Pricing.Validate(); return true; }, "Matching:Capacity:Pricing is out of range.")
            .ValidateOnStart();
        builder.Services.AddSingleton<CapacityPricer>();
        builder.Services.AddHostedService<CapacityPriceService>();
        builder.Services.AddOptions<ExplorationOptions>().BindConfiguration("Matching:Exploration")
            .Validate(o => o.ToExploration().IsValid, $"Matching:Exploration:Share must be 0 to {Exploration.MaxShare} and UnderObservedRatings at least 1.")
            .ValidateOnStart();
        builder.Services.AddSingleton(s => new ExplorationSlot(s.GetRequiredService<IOptions<ExplorationOptions>>()));
    }
}
