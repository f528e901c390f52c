using System.Net.Http.Json;
using System.Text.Json;
using Matching.Api.Infrastructure;
using Matching.Engine.Domain;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Api.Tests;

/// <summary>
/// A clock the tests move by hand, timers included: a timer created on it (the application's
/// periodic refreshes, <c>Task.Delay</c> on it) fires only when <see cref="Advance"/> moves the
/// clock past its due time, never on the wall clock. Setting <see cref="Now"/> moves the time
/// without firing anything.
/// </summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private readonly Lock _timers = new();
    private readonly List<HandTimer> _waiting = [];

    /// <summary>Now.</summary>
    public DateTimeOffset Now { get; set; } = now;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => Now;

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new HandTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock on by <paramref name="by"/> and fires, in order, every timer that falls due on the way.</summary>
    public void Advance(TimeSpan by)
    {
        var end = Now + by;
        while (true)
        {
            HandTimer? next;
            lock (_timers)
            {
                next = _waiting.Where(t => t.Due <= end).MinBy(t => t.Due);
                if (next is null)
                {
                    Now = end;
                    return;
                }

                Now = next.Due;
                next.Reschedule();
            }

            next.Fire();
        }
    }

    private sealed class HandTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period;

        public DateTimeOffset Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._timers)
            {
                clock._waiting.Remove(this);
                _period = period;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    Due = clock.Now + dueTime;
                    clock._waiting.Add(this);
                }
            }

            return true;
        }

        // Called under the clock's lock when the timer fires: a periodic timer waits for its next period, a one-shot is done.
        public void Reschedule()
        {
            clock._waiting.Remove(this);
            if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
            {
                Due += _period;
                clock._waiting.Add(this);
            }
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._timers)
            {
                clock._waiting.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}

/// <summary>
/// The real application over real HTTP on a temporary SQLite file. Each factory has its own
/// file; two factories given the same file see the same data (a restart).
/// </summary>
public sealed class MatchingApiFactory(string? databasePath = null, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    /// <summary>Keys per role used by the tests.</summary>
    public static IReadOnlyDictionary<Role, string> Keys { get; } = new Dictionary<Role, string>
    {
        [Role.Directory] = "test-directory-key-000000001",
        [Role.Intake] = "test-intake-key-00000000002",
        [Role.Data] = "test-data-key-0000000000003",
    };

    /// <summary>The SQLite file.</summary>
    public string DatabasePath { get; } = databasePath ?? Path.Combine(Path.GetTempPath(), $"matching-test-{Guid.NewGuid():N}.db");

    /// <summary>The application's clock: Wednesday 18 November 2026, 09:00 UTC unless moved.</summary>
    public ManualClock Clock { get; } = new(new DateTimeOffset(2026, 11, 18, 9, 0, 0, TimeSpan.Zero));

    /// <summary>JSON as the API writes it.</summary>
    public static JsonSerializerOptions Json { get; } = DomainJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Matching:Database:ConnectionString", $"Data Source={DatabasePath}");
        builder.UseSetting("Matching:Demo:Enabled", "false");
        // Every test directory therapist is under-observed: the tests see the deterministic
        // ranking unless they turn the exploration slot on.
        builder.UseSetting("Matching:Exploration:Share", "0");
        var i = 0;
        foreach (var (role, key) in Keys)
        {
            builder.UseSetting($"Matching:ApiKeys:{i}:Name", $"test-{role.ToString().ToLowerInvariant()}");
            builder.UseSetting($"Matching:ApiKeys:{i}:Key", key);
            builder.UseSetting($"Matching:ApiKeys:{i}:Role", role.ToString());
            i++;
        }

        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(k, v);
        }

        builder.ConfigureServices(s => s.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>An HTTP client authenticated with the role's key.</summary>
    public HttpClient ClientFor(Role role)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", Keys[role]);
        return client;
    }

    /// <summary>Imports <see cref="TestDirectory.All"/>.</summary>
    public async Task ImportDirectoryAsync()
    {
        using var client = ClientFor(Role.Data);
        var response = await client.PostAsJsonAsync("/v1/therapists/import", new { therapists = TestDirectory.All }, Json);
        Assert.That(response.IsSuccessStatusCode, Is.True, await response.Content.ReadAsStringAsync());
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && databasePath is null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(DatabasePath + suffix);
            }
        }
    }
}
