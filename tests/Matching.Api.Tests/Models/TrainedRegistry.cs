using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;
using Matching.Data;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;
using Matching.Training;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Api.Tests.Models;

/// <summary>
/// Writes once, through a real application, a simulated history, <see cref="TestDirectory"/> and
/// two models trained on it by <see cref="ModelTrainer"/> (the engine's LambdaMART, then ML.NET's
/// LightGBM exported to the engine) and kept as candidates; every test then
/// starts the application on its own copy of that file, so activations never leak between tests.
/// </summary>
[SetUpFixture]
public sealed class TrainedRegistry
{
    /// <summary>The first candidate, trained by the engine's LambdaMART at the factory clock's start.</summary>
    public static string First { get; private set; } = "";

    /// <summary>The second candidate, trained by ML.NET's LightGBM a day later on the same history.</summary>
    public static string Second { get; private set; } = "";

    /// <summary>A model artifact cut short: not JSON.</summary>
    public const string CorruptArtifact = "{\"format\":\"matching.ranker\"";

    private static string? _folder;

    private static string Template => Path.Combine(_folder ?? throw new InvalidOperationException("The registry is not written yet."), "template.db");

    [OneTimeSetUp]
    public async Task WriteTheTemplate()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"matching-api-models-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        using (var factory = new MatchingApiFactory(Template))
        {
            var services = factory.Services;
            var therapists = services.GetRequiredService<TherapistStore>();
            var feedback = services.GetRequiredService<FeedbackStore>();
            var models = services.GetRequiredService<ModelStore>();
            // 40 therapists and 2,500 clients: about 800 labeled matches, each model trained in well under a second.
            var world = Simulator.Run(new SimulationOptions { Therapists = 40, Clients = 2500, Seed = 8 });
            await SimulatedHistory.WriteAsync(world, therapists, services.GetRequiredService<ShortlistStore>(), feedback);
            await therapists.UpsertManyAsync(TestDirectory.All);
            var trainer = new ModelTrainer(feedback, models, factory.Clock);
            var versions = new List<string>();
            foreach (var (kind, prefix) in new[] { (RankingTrainer.LambdaMart, "lambdamart-20261118T090000Z-"), (RankingTrainer.MlNetLightGbm, "mlnet-lightgbm-20261119T090000Z-") })
            {
                var outcome = await trainer.RunAsync(new TrainingSettings { Trainers = [kind] }, new PromotionPolicy(Margin: 1.0), Path.Combine(_folder, "reports"), "test");
                Assert.That(outcome.Run.Decision, Is.EqualTo(ModelTrainer.Kept), outcome.Run.Reason);
                Assert.That(outcome.Run.ChallengerVersion, Is.EqualTo(TrainingPipeline.VersionAt(factory.Clock.Now, outcome.Run.Id, kind)).And.StartsWith(prefix));
                versions.Add(outcome.Run.ChallengerVersion!);
                factory.Clock.Now += TimeSpan.FromDays(1);
            }

            (First, Second) = (versions[0], versions[1]);
        }

        SqliteConnection.ClearAllPools();
    }

    [OneTimeTearDown]
    public void DeleteTheTemplate()
    {
        SqliteConnection.ClearAllPools();
        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>The application on a fresh copy of the template: both models candidates, the baseline serving.</summary>
    public static RegistryCopy Start(IReadOnlyDictionary<string, string>? settings = null)
    {
        var file = Path.Combine(Path.GetDirectoryName(Template)!, $"{Guid.NewGuid():N}.db");
        File.Copy(Template, file);
        if (File.Exists(Template + "-wal"))
        {
            File.Copy(Template + "-wal", file + "-wal");
        }

        return new RegistryCopy(new MatchingApiFactory(file, settings), file);
    }

    /// <summary>Stores a model whose artifact cannot be loaded, as a broken training job might.</summary>
    public static Task AddCorruptAsync(MatchingApiFactory factory, string version) =>
        factory.Services.GetRequiredService<ModelStore>().AddAsync(version, "lambdamart", PairFeatures.SchemaVersion,
            new Dictionary<string, double> { ["ndcg@10"] = 0.9 }, CorruptArtifact);
}

/// <summary>One test's application and database file; disposing stops it and deletes the file.</summary>
public sealed class RegistryCopy(MatchingApiFactory factory, string file) : IDisposable
{
    public MatchingApiFactory Factory { get; } = factory;

    public void Dispose()
    {
        Factory.Dispose();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(file + suffix);
        }
    }
}

/// <summary>The calls the model tests make, with their status checked.</summary>
public static class ModelCalls
{
    /// <summary>Matches a New York client; returns the match id and the version that ranked it.</summary>
    public static async Task<(Guid Id, string ModelVersion)> MatchAsync(this HttpClient directory, string clientId)
    {
        var response = await directory.PostAsJsonAsync("/v1/matches", TestDirectory.Request(clientId));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        var match = JsonNode.Parse(body)!;
        return ((Guid)match["matchId"]!, (string)match["modelVersion"]!);
    }

    /// <summary>The version named by the stored shortlist.</summary>
    public static async Task<string> StoredVersionAsync(this HttpClient intake, Guid matchId)
    {
        var response = await intake.GetAsync(new Uri($"/v1/matches/{matchId}", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return (string)JsonNode.Parse(body)!["modelVersion"]!;
    }

    /// <summary>POST /v1/models/{version}/activate.</summary>
    public static Task<HttpResponseMessage> ActivateAsync(this HttpClient data, string version, string? reason = null) =>
        data.PostAsJsonAsync($"/v1/models/{Uri.EscapeDataString(version)}/activate", new { reason });

    /// <summary>GET /v1/models.</summary>
    public static async Task<JsonObject> ModelsAsync(this HttpClient intake)
    {
        var response = await intake.GetAsync(new Uri("/v1/models", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>One model of GET /v1/models.</summary>
    public static JsonNode Model(this JsonObject models, string version) =>
        models["models"]!.AsArray().Single(m => (string)m!["version"]! == version)!;

    /// <summary>Clients for each role of the factory.</summary>
    public static (HttpClient Directory, HttpClient Intake, HttpClient Data) Clients(this MatchingApiFactory factory) =>
        (factory.ClientFor(Role.Directory), factory.ClientFor(Role.Intake), factory.ClientFor(Role.Data));
}
