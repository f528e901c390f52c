using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Ranking;
using Matching.Data;
using Matching.Engine.Matching;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Api.Tests.Models;

public sealed class HotSwapTests
{
    private const string Baseline = RuleBasedScorer.VersionName;

    private static readonly Dictionary<string, string> Unthrottled = new()
    {
        ["Matching:RateLimit:PermitsPerSecond"] = "1000000",
        ["Matching:RateLimit:Burst"] = "1000000",
    };

    private RegistryCopy? _app;
    private HttpClient _directory = null!;
    private HttpClient _intake = null!;
    private HttpClient _data = null!;

    private MatchingApiFactory Factory => _app!.Factory;

    private ModelStore Registry => Factory.Services.GetRequiredService<ModelStore>();

    private ModelLoader Loader => Factory.Services.GetRequiredService<ModelLoader>();

    private void Start(IReadOnlyDictionary<string, string>? settings = null)
    {
        _app = TrainedRegistry.Start(settings);
        (_directory, _intake, _data) = Factory.Clients();
    }

    [TearDown]
    public void Stop()
    {
        _directory?.Dispose();
        _intake?.Dispose();
        _data?.Dispose();
        _app?.Dispose();
    }

    private async Task ActivateOkAsync(string version)
    {
        var response = await _data.ActivateAsync(version);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    private async Task<string> ServingAsync() =>
        (string)(await _intake.GetFromJsonAsync<JsonObject>(new Uri("/v1/models/active", UriKind.Relative)))!["serving"]!;

    private sealed record Answer(HttpStatusCode Status, Guid Id, string? Version, long Sequence, int SwapsDoneAtStart, string Body);

    /// <summary>
    /// Six workers send matches while the active model is swapped seven times. Nothing here reads
    /// the wall clock: each swap waits until the workers have answered a number of matches since
    /// the previous one, and a request counts as sent after a swap when the swap had returned
    /// before the request started (a counter, read as the request starts).
    /// </summary>
    [Test]
    public async Task Models_swap_under_concurrent_matches_without_a_failed_request()
    {
        Start(Unthrottled);
        string[] swaps = [TrainedRegistry.First, TrainedRegistry.Second, TrainedRegistry.First, "rule-based", TrainedRegistry.Second, "rule-based", TrainedRegistry.First];
        var known = new[] { Baseline, TrainedRegistry.First, TrainedRegistry.Second };
        var answers = new ConcurrentBag<Answer>();
        long sequence = 0, answered = 0;
        var swapsDone = 0;
        const int Workers = 6, PerSwap = 30, AfterLastSwap = 60, Cap = 3_000;
        using var finished = new CancellationTokenSource();

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !finished.IsCancellationRequested && Interlocked.Read(ref sequence) < Cap; i++)
            {
                var swapsAtStart = Volatile.Read(ref swapsDone);
                var started = Interlocked.Increment(ref sequence);
                using var response = await _directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request($"c-{w}-{i}"));
                var body = await response.Content.ReadAsStringAsync();
                var match = response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(body) : null;
                answers.Add(new Answer(response.StatusCode, match is null ? Guid.Empty : (Guid)match["matchId"]!, (string?)match?["modelVersion"], started, swapsAtStart, body));
                Interlocked.Increment(ref answered);
            }
        })).ToList();

        async Task AnsweredAtLeastAsync(long count)
        {
            while (Interlocked.Read(ref answered) < count && workers.Any(t => !t.IsCompleted))
            {
                await Task.Yield();
                await Task.Delay(1);
            }
        }

        foreach (var version in swaps)
        {
            await AnsweredAtLeastAsync(Interlocked.Read(ref answered) + PerSwap);
            await ActivateOkAsync(version);
            Interlocked.Increment(ref swapsDone);
        }

        await AnsweredAtLeastAsync(Interlocked.Read(ref answered) + AfterLastSwap);
        await finished.CancelAsync();
        await Task.WhenAll(workers);

        var all = answers.ToList();
        TestContext.Out.WriteLine($"{all.Count} matches by {Workers} workers during {swaps.Length} swaps: "
            + string.Join(", ", all.GroupBy(a => a.Version).Select(g => $"{g.Key} {g.Count()}")));
        var failed = all.Where(a => a.Status != HttpStatusCode.OK).ToList();
        Assert.That(failed, Is.Empty, () => string.Join("\n", failed.Take(5).Select(f => $"{(int)f.Status}: {f.Body}")));
        Assert.That(all, Has.Count.GreaterThanOrEqualTo((swaps.Length * PerSwap) + AfterLastSwap), "the swaps happened under load");
        Assert.That(all.Select(a => a.Version), Has.All.AnyOf(known));
        Assert.That(all.Select(a => a.Version).Distinct().Count(), Is.EqualTo(known.Length), "every version served some of the requests");
        var afterLastSwap = all.Where(a => a.SwapsDoneAtStart == swaps.Length).ToList();
        Assert.That(afterLastSwap, Has.Count.GreaterThanOrEqualTo(AfterLastSwap - Workers));
        Assert.That(afterLastSwap.Select(a => a.Version), Has.All.EqualTo(TrainedRegistry.First), "a request sent after an activation returned is ranked by the new model");

        // Every tenth answer's stored shortlist names the model its response named.
        foreach (var answer in all.OrderBy(a => a.Sequence).Where((_, i) => i % 10 == 0).Take(40))
        {
            Assert.That(await _intake.StoredVersionAsync(answer.Id), Is.EqualTo(answer.Version));
        }
    }

    [Test]
    public async Task A_model_activated_by_another_replica_serves_here_after_a_refresh_without_a_restart()
    {
        Start();
        Assert.That(await Registry.ActivateAsync(TrainedRegistry.Second, "replica-2", "promoted there"), Is.True);
        Assert.That((await _directory.MatchAsync("c-before-refresh")).ModelVersion, Is.EqualTo(Baseline), "not picked up before the next poll");

        await Loader.RefreshAsync(CancellationToken.None);

        var (id, version) = await _directory.MatchAsync("c-after-refresh");
        Assert.That(version, Is.EqualTo(TrainedRegistry.Second));
        Assert.That(await _intake.StoredVersionAsync(id), Is.EqualTo(TrainedRegistry.Second));

        await Registry.RetireActiveAsync(Baseline, "replica-2", "rolled back there");
        await Loader.RefreshAsync(CancellationToken.None);

        Assert.That((await _directory.MatchAsync("c-after-rollback")).ModelVersion, Is.EqualTo(Baseline));
    }

    /// <summary>
    /// The refresh service's timer runs on the application's clock, moved here by hand: an
    /// activation elsewhere is not picked up before the interval has passed on that clock, and is
    /// picked up when it has, however long or short the wall-clock wait.
    /// </summary>
    [Test]
    public async Task The_refresh_service_picks_up_an_activation_when_its_interval_has_passed()
    {
        Start(new Dictionary<string, string> { ["Matching:Models:RefreshInterval"] = "00:00:30" });
        await Registry.ActivateAsync(TrainedRegistry.First, "replica-2", "promoted there");

        Factory.Clock.Advance(TimeSpan.FromSeconds(29));
        var beforeTheInterval = (await _directory.MatchAsync("c-not-yet")).ModelVersion;
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        var polls = 0;
        while (await ServingAsync() != TrainedRegistry.First && polls++ < 500)
        {
            await Task.Delay(10);
        }

        Assert.That(beforeTheInterval, Is.EqualTo(Baseline), "no refresh before the interval");
        Assert.That(await ServingAsync(), Is.EqualTo(TrainedRegistry.First), $"still not serving after {polls} polls");
        Assert.That((await _directory.MatchAsync("c-polled")).ModelVersion, Is.EqualTo(TrainedRegistry.First));
    }

    [Test]
    public async Task A_corrupt_model_activated_elsewhere_is_not_served_and_readiness_says_why()
    {
        Start();
        await ActivateOkAsync(TrainedRegistry.First);
        await TrainedRegistry.AddCorruptAsync(Factory, "lambdamart-corrupt");
        Assert.That(await Registry.ActivateAsync("lambdamart-corrupt", "replica-2", "skipped validation"), Is.True);

        await Loader.RefreshAsync(CancellationToken.None);

        Assert.That((await _directory.MatchAsync("c-after-corrupt")).ModelVersion, Is.EqualTo(TrainedRegistry.First));
        using var health = await Factory.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var ready = JsonNode.Parse(await health.Content.ReadAsStringAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), "degraded still takes traffic");
            Assert.That((string)ready["status"]!, Is.EqualTo("Degraded"));
            Assert.That((string)ready["checks"]!["ranker"]!["status"]!, Is.EqualTo("Degraded"));
            Assert.That((string)ready["checks"]!["ranker"]!["detail"]!,
                Does.Contain($"model {TrainedRegistry.First}").And.Contain("lambdamart-corrupt could not be loaded").And.Contain("not valid JSON"));
        });
        var models = await _intake.ModelsAsync();
        Assert.Multiple(() =>
        {
            Assert.That((string)models["serving"]!, Is.EqualTo(TrainedRegistry.First));
            Assert.That((string)models["active"]!, Is.EqualTo("lambdamart-corrupt"));
            Assert.That((string)models["loadFailure"]!["version"]!, Is.EqualTo("lambdamart-corrupt"));
            Assert.That((string)models["loadFailure"]!["reason"]!, Does.Contain("not valid JSON"));
            Assert.That((string)models.Model("lambdamart-corrupt")["statusReason"]!, Does.StartWith("could not be served"));
        });

        await ActivateOkAsync(TrainedRegistry.Second);

        var recovered = JsonNode.Parse(await (await Factory.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative))).Content.ReadAsStringAsync())!;
        Assert.That((string)recovered["status"]!, Is.EqualTo("Healthy"));
        Assert.That((await _intake.ModelsAsync())["loadFailure"], Is.Null);
        Assert.That((await _directory.MatchAsync("c-recovered")).ModelVersion, Is.EqualTo(TrainedRegistry.Second));
    }
}
