namespace Matching.Data.Tests;

[TestFixture(DatabaseEngine.Sqlite)]
[TestFixture(DatabaseEngine.SqlServer)]
public class ModelStoreTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private const string Baseline = "rule-based/1";

    private ModelStore Store => new(Db, Clock);

    private static Dictionary<string, double> Metrics(double ndcg) => new() { ["ndcg@10"] = ndcg, ["trainRows"] = 1234 };

    private static string Artifact(string version) => $$"""{"format":"matching.ranker","version":"{{version}}"}""";

    private async Task AddAsync(params string[] versions)
    {
        foreach (var version in versions)
        {
            await Store.AddAsync(version, "lambdamart", "pair/3", Metrics(0.8), Artifact(version));
            Clock.Advance(TimeSpan.FromMinutes(1));
        }
    }

    private async Task<Dictionary<string, ModelStatus>> StatusesAsync() =>
        (await Store.ListAsync()).ToDictionary(m => m.Version, m => m.Status);

    [Test]
    public async Task A_model_is_stored_as_a_candidate_with_its_metrics_and_artifact()
    {
        await Store.AddAsync("m-1", "lambdamart", "pair/3", new Dictionary<string, double> { ["ndcg@10"] = 1.0 / 3.0, ["trees"] = 42 }, Artifact("m-1"));

        var model = await Store.GetAsync("m-1");

        Assert.That(model, Is.EqualTo(new ModelRecord("m-1", "lambdamart", "pair/3", ManualClock.Start, ModelStatus.Candidate, null, null,
            new Dictionary<string, double> { ["ndcg@10"] = 1.0 / 3.0, ["trees"] = 42 })).UsingPropertiesComparer());
        Assert.Multiple(async () =>
        {
            Assert.That(await Store.ArtifactAsync("m-1"), Is.EqualTo(Artifact("m-1")));
            Assert.That(await Store.GetAsync("m-unknown"), Is.Null);
            Assert.That(await Store.ArtifactAsync("m-unknown"), Is.Null);
            Assert.That(await Store.ActiveAsync(), Is.Null, "a candidate does not serve");
            Assert.That(await Store.ActiveVersionAsync(), Is.Null);
            Assert.That(await Store.ActivationsAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task A_model_from_another_library_keeps_its_library_and_its_own_model_file()
    {
        byte[] zip = [0x50, 0x4B, 3, 4, 0, 255, 7];
        await Store.AddAsync("mlnet-lightgbm-1", "mlnet-lightgbm", "pair/3", Metrics(0.8), Artifact("mlnet-lightgbm-1"), "Microsoft.ML.LightGbm 5.0.1", zip);
        await Store.AddAsync("lambdamart-1", "lambdamart", "pair/3", Metrics(0.8), Artifact("lambdamart-1"));

        var mlnet = await Store.GetAsync("mlnet-lightgbm-1");
        var engine = await Store.GetAsync("lambdamart-1");
        Assert.Multiple(async () =>
        {
            Assert.That((mlnet!.Kind, mlnet.Library, mlnet.HasSourceModel), Is.EqualTo(("mlnet-lightgbm", "Microsoft.ML.LightGbm 5.0.1", true)));
            Assert.That((engine!.Library, engine.HasSourceModel), Is.EqualTo(((string?)null, false)));
            Assert.That(await Store.SourceModelAsync("mlnet-lightgbm-1"), Is.EqualTo(zip));
            Assert.That(await Store.SourceModelAsync("lambdamart-1"), Is.Null);
        });
    }

    [Test]
    public async Task A_run_keeps_every_challenger_it_fitted()
    {
        var run = new TrainingRunRecord(Guid.NewGuid(), ManualClock.Start, ManualClock.Start.AddMinutes(1), null, ManualClock.Start, null, 10, 2, 5, 1, "{}",
            "mlnet-lightgbm-1", Baseline, Metrics(0.8), Metrics(0.7), "promoted", "best of 2", null)
        {
            Challengers =
            [
                new ChallengerResult("mlnet-lightgbm-1", "mlnet-lightgbm", "Microsoft.ML.LightGbm 5.0.1", Metrics(0.8), 2.5),
                new ChallengerResult("lambdamart-1", "lambdamart", "Matching.Engine 1.0.0", Metrics(0.75), 1.5),
            ],
        };

        await Store.RecordRunAsync(run);

        var stored = (await Store.RunsAsync()).Single();
        Assert.That(stored.Challengers.Select(c => (c.Version, c.Trainer, c.Library, c.Metrics["ndcg@10"], c.TrainSeconds)),
            Is.EqualTo(run.Challengers.Select(c => (c.Version, c.Trainer, c.Library, c.Metrics["ndcg@10"], c.TrainSeconds))));
    }

    [Test]
    public async Task Models_are_listed_newest_first()
    {
        await AddAsync("m-1", "m-2", "m-3");

        Assert.That((await Store.ListAsync()).Select(m => m.Version), Is.EqualTo(new[] { "m-3", "m-2", "m-1" }));
    }

    [Test]
    public async Task Exactly_one_model_is_active_after_successive_activations_and_each_is_logged()
    {
        await AddAsync("m-1", "m-2", "m-3");
        var times = new List<DateTimeOffset>();

        foreach (var version in new[] { "m-1", "m-2", "m-3" })
        {
            times.Add(Clock.GetUtcNow());
            Assert.That(await Store.ActivateAsync(version, "ops", $"roll forward to {version}"), Is.True);
            Clock.Advance(TimeSpan.FromHours(1));
        }

        Assert.That(await StatusesAsync(), Is.EquivalentTo(new Dictionary<string, ModelStatus>
        {
            ["m-1"] = ModelStatus.Retired,
            ["m-2"] = ModelStatus.Retired,
            ["m-3"] = ModelStatus.Active,
        }));
        Assert.That(await CountAsync("ranking_model", "WHERE status = 'active'"), Is.EqualTo(1));
        var active = await Store.ActiveAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(active, Is.EqualTo(("m-3", Artifact("m-3"))));
            Assert.That(await Store.ActiveVersionAsync(), Is.EqualTo("m-3"));
            Assert.That((await Store.GetAsync("m-3"))!.ActivatedAt, Is.EqualTo(times[2]));
            Assert.That((await Store.GetAsync("m-1"))!.ActivatedAt, Is.EqualTo(times[0]), "a retired model keeps when it last served");
        });
        Assert.That(await Store.ActivationsAsync(), Is.EqualTo(new[]
        {
            new ModelActivation("m-3", times[2], "ops", "roll forward to m-3"),
            new ModelActivation("m-2", times[1], "ops", "roll forward to m-2"),
            new ModelActivation("m-1", times[0], "ops", "roll forward to m-1"),
        }));
    }

    [Test]
    public async Task A_retired_model_can_be_activated_again_to_roll_back()
    {
        await AddAsync("m-1", "m-2");
        await Store.ActivateAsync("m-1", "ops", "first");
        await Store.ActivateAsync("m-2", "ops", "second");

        var rolledBack = await Store.ActivateAsync("m-1", "ops", "m-2 misbehaves");

        Assert.That(rolledBack, Is.True);
        Assert.That(await StatusesAsync(), Is.EquivalentTo(new Dictionary<string, ModelStatus> { ["m-1"] = ModelStatus.Active, ["m-2"] = ModelStatus.Retired }));
        Assert.That((await Store.ActivationsAsync())[0], Is.EqualTo(new ModelActivation("m-1", Clock.GetUtcNow(), "ops", "m-2 misbehaves")));
    }

    [Test]
    public async Task A_rejected_model_cannot_be_activated_and_the_active_one_keeps_serving()
    {
        await AddAsync("m-1", "m-2");
        await Store.ActivateAsync("m-1", "ops", "first");

        var rejected = await Store.RejectAsync("m-2", "Ranker artifact is not valid JSON");
        var activated = await Store.ActivateAsync("m-2", "ops", "try anyway");

        Assert.Multiple(async () =>
        {
            Assert.That(rejected, Is.EqualTo(1));
            Assert.That(activated, Is.False);
            Assert.That(await Store.ActiveVersionAsync(), Is.EqualTo("m-1"));
            Assert.That(await Store.ActivationsAsync(), Has.Count.EqualTo(1));
            var model = (await Store.GetAsync("m-2"))!;
            Assert.That(model.Status, Is.EqualTo(ModelStatus.Rejected));
            Assert.That(model.StatusReason, Is.EqualTo("Ranker artifact is not valid JSON"));
        });
    }

    [Test]
    public async Task The_active_model_is_never_rejected()
    {
        await AddAsync("m-1");
        await Store.ActivateAsync("m-1", "ops", "first");

        Assert.That(await Store.RejectAsync("m-1", "late complaint"), Is.Zero);
        Assert.That((await Store.GetAsync("m-1"))!.Status, Is.EqualTo(ModelStatus.Active));
    }

    [Test]
    public async Task Activating_an_unknown_model_changes_nothing()
    {
        await AddAsync("m-1");
        await Store.ActivateAsync("m-1", "ops", "first");

        Assert.That(await Store.ActivateAsync("m-unknown", "ops", "typo"), Is.False);
        Assert.That(await Store.ActiveVersionAsync(), Is.EqualTo("m-1"));
        Assert.That(await Store.ActivationsAsync(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Retiring_the_active_model_leaves_none_active_and_logs_the_baseline()
    {
        await AddAsync("m-1");
        await Store.ActivateAsync("m-1", "ops", "first");
        Clock.Advance(TimeSpan.FromHours(1));

        await Store.RetireActiveAsync(Baseline, "ops", "back to the rules");

        Assert.Multiple(async () =>
        {
            Assert.That(await Store.ActiveAsync(), Is.Null);
            Assert.That(await Store.ActiveVersionAsync(), Is.Null);
            Assert.That((await Store.GetAsync("m-1"))!.Status, Is.EqualTo(ModelStatus.Retired));
            Assert.That((await Store.ActivationsAsync())[0], Is.EqualTo(new ModelActivation(Baseline, Clock.GetUtcNow(), "ops", "back to the rules")));
        });
    }

    [Test]
    public async Task A_note_keeps_the_status_and_a_later_activation_clears_it()
    {
        await AddAsync("m-1", "m-2");
        await Store.ActivateAsync("m-2", "ops", "first");

        await Store.NoteAsync("m-2", "could not be served: feature schema pair/2");
        var noted = (await Store.GetAsync("m-2"))!;
        await Store.ActivateAsync("m-1", "ops", "roll back");
        await Store.ActivateAsync("m-2", "ops", "fixed replica");

        Assert.Multiple(async () =>
        {
            Assert.That(noted.Status, Is.EqualTo(ModelStatus.Active));
            Assert.That(noted.StatusReason, Is.EqualTo("could not be served: feature schema pair/2"));
            Assert.That((await Store.GetAsync("m-2"))!.StatusReason, Is.Null);
        });
    }

    [Test]
    public async Task A_long_reason_is_cut_to_fit_its_column()
    {
        await AddAsync("m-1");

        await Store.RejectAsync("m-1", new string('x', 5000));

        Assert.That((await Store.GetAsync("m-1"))!.StatusReason, Has.Length.EqualTo(2000));
    }

    [Test]
    public async Task Concurrent_activations_leave_exactly_one_active_model()
    {
        var versions = Enumerable.Range(1, 8).Select(i => $"m-{i}").ToArray();
        await AddAsync(versions);

        var results = await Task.WhenAll(versions.Select(v => Task.Run(() => Store.ActivateAsync(v, "replica", "race"))));

        Assert.That(results, Has.All.True);
        Assert.That(await CountAsync("ranking_model", "WHERE status = 'active'"), Is.EqualTo(1));
        Assert.That(await CountAsync("model_activation"), Is.EqualTo(versions.Length));
        Assert.That(await Store.ActiveVersionAsync(), Is.EqualTo((await Store.ActivationsAsync())[0].Version), "the last activation logged is the one serving");
    }

    [Test]
    public async Task Registry_writes_are_write_transactions()
    {
        // On SQLite every write of the process must pass through the one writer (group commit).
        var units = Db.WriteUnits;

        await AddAsync("m-1", "m-2");
        await Store.RejectAsync("m-1", "broken");
        await Store.NoteAsync("m-2", "noted");
        await Store.RecordRunAsync(new TrainingRunRecord(Guid.NewGuid(), ManualClock.Start, ManualClock.Start, null, ManualClock.Start, null,
            0, 0, 0, 0, "{}", null, null, null, null, "failed", "too little data", null));

        Assert.That(Db.WriteUnits - units, Is.EqualTo(5));
    }

    [Test]
    public async Task Training_runs_round_trip_newest_first()
    {
        var promoted = new TrainingRunRecord(Guid.NewGuid(), ManualClock.Start, ManualClock.Start.AddSeconds(12),
            new DateTimeOffset(2025, 1, 6, 10, 0, 0, TimeSpan.Zero), ManualClock.Start, new DateTimeOffset(2025, 2, 10, 9, 30, 0, TimeSpan.Zero),
            812, 104, 203, 35, """{"Margin":0.002}""", "m-2", Baseline,
            new Dictionary<string, double> { ["ndcg@10"] = 0.846, ["ndcg@1"] = 0.5 }, new Dictionary<string, double> { ["ndcg@10"] = 0.816, ["ndcg@1"] = 0.4 },
            "promoted", "challenger beats champion", Path.Combine("reports", "training", "x", "report.md"));
        var failed = new TrainingRunRecord(Guid.NewGuid(), ManualClock.Start.AddDays(1), ManualClock.Start.AddDays(1), null, ManualClock.Start.AddDays(1), null,
            0, 0, 0, 0, "{}", null, null, null, null, "failed", "Only 12 labeled matches", null);

        await Store.RecordRunAsync(promoted);
        await Store.RecordRunAsync(failed);
        var runs = await Store.RunsAsync();

        Assert.That(runs, Has.Count.EqualTo(2));
        Assert.That(runs[0], Is.EqualTo(failed).UsingPropertiesComparer());
        Assert.That(runs[1], Is.EqualTo(promoted).UsingPropertiesComparer());
    }
}
