using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Data;
using Matching.Engine.Matching;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Api.Tests.Models;

public sealed class ModelsApiTests
{
    private const string Baseline = RuleBasedScorer.VersionName;

    private RegistryCopy _app = null!;
    private HttpClient _directory = null!;
    private HttpClient _intake = null!;
    private HttpClient _data = null!;

    [SetUp]
    public void Start()
    {
        _app = TrainedRegistry.Start();
        (_directory, _intake, _data) = _app.Factory.Clients();
    }

    [TearDown]
    public void Stop()
    {
        _directory.Dispose();
        _intake.Dispose();
        _data.Dispose();
        _app.Dispose();
    }

    private async Task ActivateOkAsync(string version)
    {
        var response = await _data.ActivateAsync(version);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.That((int)problem["status"]!, Is.EqualTo((int)status));
        return problem;
    }

    /// <summary>A match and its stored shortlist must name the same version; returns it.</summary>
    private async Task<string> ServedVersionAsync(string clientId)
    {
        var (id, version) = await _directory.MatchAsync(clientId);
        Assert.That(await _intake.StoredVersionAsync(id), Is.EqualTo(version), "the stored shortlist names the version that ranked it");
        return version;
    }

    [Test]
    public async Task Lists_every_model_with_its_metrics_and_status_while_the_baseline_serves()
    {
        var models = await _intake.ModelsAsync();

        Assert.Multiple(() =>
        {
            Assert.That((string)models["serving"]!, Is.EqualTo(Baseline));
            Assert.That(models["active"], Is.Null);
            Assert.That(models["loadFailure"], Is.Null);
            Assert.That(models["activations"]!.AsArray(), Is.Empty);
            Assert.That(models["models"]!.AsArray().Select(m => (string)m!["version"]!), Is.EqualTo(new[] { TrainedRegistry.Second, TrainedRegistry.First }), "newest first");
        });
        Assert.Multiple(() =>
        {
            Assert.That((string)models["servingTrainer"]!, Is.EqualTo("rule-based"));
            Assert.That((string)models.Model(TrainedRegistry.First)["library"]!, Does.StartWith("Matching.Engine"));
            Assert.That((bool)models.Model(TrainedRegistry.First)["hasSourceModel"]!, Is.False);
            Assert.That((string)models.Model(TrainedRegistry.Second)["library"]!, Does.StartWith("Microsoft.ML.LightGbm 5."));
            Assert.That((bool)models.Model(TrainedRegistry.Second)["hasSourceModel"]!, Is.True, "the ML.NET zip is kept");
        });
        foreach (var (version, trainer) in new[] { (TrainedRegistry.First, "lambdamart"), (TrainedRegistry.Second, "mlnet-lightgbm") })
        {
            var model = models.Model(version);
            Assert.Multiple(() =>
            {
                Assert.That((string)model["status"]!, Is.EqualTo("candidate"));
                Assert.That((string)model["kind"]!, Is.EqualTo(trainer));
                Assert.That((string)model["featureSchema"]!, Is.EqualTo(PairFeatures.SchemaVersion));
                Assert.That((double)model["metrics"]!["ndcg@10"]!, Is.InRange(0.5, 1.0));
                Assert.That((double)model["metrics"]!["trainRows"]!, Is.GreaterThan(100));
                Assert.That((double)model["metrics"]!["trees"]!, Is.Positive);
                Assert.That(model["activatedAt"], Is.Null);
            });
        }
    }

    [Test]
    public async Task An_MlNet_model_serves_from_its_exported_trees_and_responses_name_its_trainer_and_library()
    {
        var response = await _data.ActivateAsync(TrainedRegistry.Second, "ML.NET's turn");
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);

        var match = await _directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request("c-mlnet"));
        var shortlist = JsonNode.Parse(await match.Content.ReadAsStringAsync())!;
        var active = JsonNode.Parse(body)!;
        Assert.Multiple(() =>
        {
            Assert.That((string)active["servingTrainer"]!, Is.EqualTo("mlnet-lightgbm"));
            Assert.That((string)active["servingLibrary"]!, Does.StartWith("Microsoft.ML.LightGbm 5."));
            Assert.That((string)shortlist["modelVersion"]!, Is.EqualTo(TrainedRegistry.Second));
            Assert.That((string)shortlist["modelTrainer"]!, Is.EqualTo("mlnet-lightgbm"));
            Assert.That((string)shortlist["modelLibrary"]!, Does.StartWith("Microsoft.ML.LightGbm 5."));
            Assert.That(shortlist["therapists"]!.AsArray(), Is.Not.Empty);
        });
    }

    [Test]
    public async Task Activating_a_trained_model_serves_it_at_once_and_new_matches_name_it()
    {
        Assert.That(await ServedVersionAsync("c-before"), Is.EqualTo(Baseline));

        var response = await _data.ActivateAsync(TrainedRegistry.First, "holdout looks good");

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        var active = JsonNode.Parse(body)!;
        Assert.Multiple(() =>
        {
            Assert.That((string)active["serving"]!, Is.EqualTo(TrainedRegistry.First));
            Assert.That((string)active["registryActive"]!, Is.EqualTo(TrainedRegistry.First));
        });
        Assert.That(await ServedVersionAsync("c-after"), Is.EqualTo(TrainedRegistry.First));
        var models = await _intake.ModelsAsync();
        var activation = models["activations"]![0]!;
        Assert.Multiple(() =>
        {
            Assert.That((string)models["serving"]!, Is.EqualTo(TrainedRegistry.First));
            Assert.That((string)models["active"]!, Is.EqualTo(TrainedRegistry.First));
            Assert.That((string)models.Model(TrainedRegistry.First)["status"]!, Is.EqualTo("active"));
            Assert.That((string)models.Model(TrainedRegistry.Second)["status"]!, Is.EqualTo("candidate"));
            Assert.That((string)activation["version"]!, Is.EqualTo(TrainedRegistry.First));
            Assert.That((string)activation["activatedBy"]!, Is.EqualTo("test-data"));
            Assert.That((string)activation["reason"]!, Is.EqualTo("holdout looks good"));
        });
        var current = await _intake.GetFromJsonAsync<JsonObject>(new Uri("/v1/models/active", UriKind.Relative));
        Assert.That((string)current!["serving"]!, Is.EqualTo(TrainedRegistry.First));
    }

    [Test]
    public async Task Rolls_back_to_the_previous_model_and_then_to_the_rule_based_baseline()
    {
        await ActivateOkAsync(TrainedRegistry.First);
        await ActivateOkAsync(TrainedRegistry.Second);
        Assert.That(await ServedVersionAsync("c-second"), Is.EqualTo(TrainedRegistry.Second));

        await ActivateOkAsync(TrainedRegistry.First);
        Assert.That(await ServedVersionAsync("c-rolled-back"), Is.EqualTo(TrainedRegistry.First));
        Assert.That((string)(await _intake.ModelsAsync()).Model(TrainedRegistry.Second)["status"]!, Is.EqualTo("retired"));

        await ActivateOkAsync("rule-based");
        Assert.That(await ServedVersionAsync("c-baseline"), Is.EqualTo(Baseline));

        var models = await _intake.ModelsAsync();
        Assert.Multiple(() =>
        {
            Assert.That((string)models["serving"]!, Is.EqualTo(Baseline));
            Assert.That(models["active"], Is.Null);
            Assert.That(models["models"]!.AsArray().Select(m => (string)m!["status"]!), Has.All.EqualTo("retired"));
            Assert.That(models["activations"]!.AsArray().Select(a => (string)a!["version"]!),
                Is.EqualTo(new[] { Baseline, TrainedRegistry.First, TrainedRegistry.Second, TrainedRegistry.First }));
        });
    }

    [Test]
    public async Task Only_the_data_role_activates_and_the_directory_role_cannot_see_the_registry()
    {
        Assert.Multiple(async () =>
        {
            Assert.That((await _directory.ActivateAsync(TrainedRegistry.First)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await _intake.ActivateAsync(TrainedRegistry.First)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await _directory.GetAsync(new Uri("/v1/models", UriKind.Relative))).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await _directory.GetAsync(new Uri("/v1/models/active", UriKind.Relative))).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await _intake.GetAsync(new Uri("/v1/training-runs", UriKind.Relative))).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
        using var anonymous = _app.Factory.CreateClient();
        Assert.That((await anonymous.ActivateAsync(TrainedRegistry.First)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        var models = await _intake.ModelsAsync();
        Assert.That(models["active"], Is.Null, "nothing was activated");
        Assert.That(await ServedVersionAsync("c-still-baseline"), Is.EqualTo(Baseline));
    }

    [Test]
    public async Task An_unknown_version_is_a_404_problem()
    {
        var problem = await ProblemAsync(await _data.ActivateAsync("lambdamart-19990101T000000Z"), HttpStatusCode.NotFound);

        Assert.That((string)problem["title"]!, Is.EqualTo("Unknown model"));
        Assert.That((string)problem["detail"]!, Does.Contain("lambdamart-19990101T000000Z"));
    }

    [Test]
    public async Task A_corrupt_artifact_is_rejected_with_the_reason_and_the_previous_model_keeps_serving()
    {
        await ActivateOkAsync(TrainedRegistry.First);
        await TrainedRegistry.AddCorruptAsync(_app.Factory, "lambdamart-corrupt");

        var problem = await ProblemAsync(await _data.ActivateAsync("lambdamart-corrupt"), HttpStatusCode.UnprocessableEntity);

        Assert.Multiple(() =>
        {
            Assert.That((string)problem["title"]!, Is.EqualTo("Model failed validation"));
            Assert.That((string)problem["detail"]!, Does.Contain("lambdamart-corrupt").And.Contain("not valid JSON"));
        });
        var models = await _intake.ModelsAsync();
        var corrupt = models.Model("lambdamart-corrupt");
        Assert.Multiple(() =>
        {
            Assert.That((string)corrupt["status"]!, Is.EqualTo("rejected"));
            Assert.That((string)corrupt["statusReason"]!, Does.Contain("not valid JSON"));
            Assert.That((string)models["serving"]!, Is.EqualTo(TrainedRegistry.First));
            Assert.That((string)models["active"]!, Is.EqualTo(TrainedRegistry.First));
            Assert.That(models["loadFailure"], Is.Null, "nothing failed to load: the bad model never became active");
        });
        Assert.That(await ServedVersionAsync("c-after-reject"), Is.EqualTo(TrainedRegistry.First));

        var again = await ProblemAsync(await _data.ActivateAsync("lambdamart-corrupt"), HttpStatusCode.Conflict);
        Assert.That((string)again["detail"]!, Does.Contain("was rejected").And.Contain("not valid JSON"));
    }

    [Test]
    public async Task An_artifact_stored_under_another_version_is_rejected()
    {
        var store = _app.Factory.Services.GetRequiredService<ModelStore>();
        var artifact = await store.ArtifactAsync(TrainedRegistry.First);
        await store.AddAsync("lambdamart-impostor", "lambdamart", PairFeatures.SchemaVersion, new Dictionary<string, double>(), artifact!);

        var problem = await ProblemAsync(await _data.ActivateAsync("lambdamart-impostor"), HttpStatusCode.UnprocessableEntity);

        Assert.That((string)problem["detail"]!, Does.Contain($"names itself {TrainedRegistry.First}"));
        Assert.That(await ServedVersionAsync("c-after-impostor"), Is.EqualTo(Baseline));
    }

    [Test]
    public async Task Training_runs_are_listed_for_the_data_role()
    {
        var runs = await _data.GetFromJsonAsync<JsonArray>(new Uri("/v1/training-runs", UriKind.Relative));

        Assert.That(runs!.Select(r => ((string)r!["challengerVersion"]!, (string)r["decision"]!)), Is.EqualTo(new[]
        {
            (TrainedRegistry.Second, "kept"),
            (TrainedRegistry.First, "kept"),
        }));
        Assert.That(runs!.Select(r => (int)r!["holdoutQueries"]!), Has.All.Positive);
    }
}
