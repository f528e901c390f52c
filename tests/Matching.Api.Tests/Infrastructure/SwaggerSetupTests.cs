using System.Reflection;
using System.Text.Json.Nodes;
using Matching.Api.Infrastructure;
using Matching.Engine.Domain;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NSwag.CodeGeneration.CSharp;
using NSwag.CodeGeneration.OperationNameGenerators;

namespace Matching.Api.Tests.Infrastructure;

/// <summary>
/// The OpenAPI document is true: its own invariants hold (checked here without npm; .ci/run also
/// lints it with Redocly and Spectral), and a client generated from it sends every example body
/// of the README and reads every answer.
/// </summary>
public sealed class SwaggerSetupTests
{
    private MatchingApiFactory _factory = null!;
    private JsonObject _document = null!;
    private string _documentText = "";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _factory = new MatchingApiFactory();
        using var client = _factory.CreateClient();
        _documentText = await client.GetStringAsync($"/swagger/{SwaggerSetup.DocumentName}/swagger.json");
        _document = JsonNode.Parse(_documentText)!.AsObject();
    }

    [OneTimeTearDown]
    public void Stop() => _factory.Dispose();

    private IEnumerable<(string Name, JsonObject Operation)> Operations() =>
        from path in _document["paths"]!.AsObject()
        from op in path.Value!.AsObject()
        select ($"{op.Key.ToUpperInvariant()} {path.Key}", op.Value!.AsObject());

    private JsonObject Schema(string name) => _document["components"]!["schemas"]![name]!.AsObject();

    /// <summary>The component a schema refers to, directly or as the single allOf member that adds "nullable".</summary>
    private static string? Ref(JsonNode? schema) => (string?)schema?["$ref"] ?? (string?)schema?["allOf"]?[0]?["$ref"];

    [Test]
    public void Every_operation_declares_its_errors_as_problem_json_with_the_problem_details_schema()
    {
        Assert.That(Operations().Count(), Is.GreaterThanOrEqualTo(16));
        Assert.Multiple(() =>
        {
            foreach (var (name, operation) in Operations())
            {
                var responses = operation["responses"]!.AsObject();
                var statuses = responses.Select(r => r.Key).ToList();
                Assert.That(statuses, Is.SupersetOf(new[] { "401", "403", "429" }), $"{name}: every operation needs a key and is rate limited");
                if (operation["requestBody"] is not null)
                {
                    Assert.That(statuses, Is.SupersetOf(new[] { "400", "413", "415" }), $"{name}: a body can be invalid, too large or not JSON");
                }

                if (operation["parameters"]?.AsArray().Any(p => (string)p!["in"]! == "query") == true)
                {
                    Assert.That(statuses, Has.Member("400"), $"{name}: query parameters can be invalid");
                }

                foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
                {
                    var content = response!["content"]?.AsObject();
                    Assert.That(content?.Select(c => c.Key), Is.EqualTo(new[] { Problems.MediaType }), $"{name} {status}");
                    var reference = Ref(content?[Problems.MediaType]?["schema"]);
                    Assert.That(reference, Is.EqualTo("#/components/schemas/ProblemDetails").Or.EqualTo("#/components/schemas/HttpValidationProblemDetails"), $"{name} {status}");
                }

                Assert.That((string?)operation["operationId"], Is.Not.Empty, name);
                Assert.That((string?)operation["summary"], Is.Not.Empty, name);
            }
        });
        Assert.That(Schema("ProblemDetails")["properties"]!.AsObject().Select(p => p.Key), Is.SupersetOf(new[] { "type", "title", "status", "detail" }));
        Assert.That(Schema("HttpValidationProblemDetails")["properties"]!["errors"], Is.Not.Null);
        Assert.That(_document["paths"]!["/v1/matches"]!["post"]!["responses"]!["429"]!["headers"]!["Retry-After"], Is.Not.Null);
    }

    [TestCase("AgeGroups", typeof(AgeGroups))]
    [TestCase("Availability", typeof(Availability))]
    public void Flags_enums_are_arrays_of_the_names_the_api_reads_and_writes(string name, Type type)
    {
        var schema = Schema(name);

        Assert.That((string?)schema["type"], Is.EqualTo("array"));
        Assert.That((string?)schema["items"]!["type"], Is.EqualTo("string"));
        Assert.That(schema["items"]!["enum"]!.AsArray().Select(v => (string)v!), Is.EqualTo(DomainJson.AllowedNames(type)));
        Assert.That(Ref(Schema("ConstraintsRequest")["properties"]!["availability"]), Does.EndWith("/Availability"));
        var ageGroup = Schema("ConstraintsRequest")["properties"]!["ageGroup"]!;
        Assert.That((string?)ageGroup["type"], Is.EqualTo("string"), "a client states exactly one age group");
        Assert.That(ageGroup["enum"]!.AsArray().Select(v => (string)v!), Is.EqualTo(DomainJson.AllowedNames(typeof(AgeGroups))));
    }

    [Test]
    public void Every_enum_value_has_the_type_its_schema_declares()
    {
        var schemas = new List<(string Where, JsonObject Schema)>();
        void Collect(JsonNode? node, string where)
        {
            if (node is JsonObject o)
            {
                if (o["enum"] is not null)
                {
                    schemas.Add((where, o));
                }

                foreach (var (k, v) in o)
                {
                    Collect(v, $"{where}.{k}");
                }
            }
            else if (node is JsonArray a)
            {
                for (var i = 0; i < a.Count; i++)
                {
                    Collect(a[i], $"{where}[{i}]");
                }
            }
        }

        Collect(_document, "$");

        Assert.That(schemas, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            foreach (var (where, schema) in schemas)
            {
                Assert.That((string?)schema["type"], Is.EqualTo("string"), where);
                Assert.That(schema["enum"]!.AsArray().Select(v => v!.GetValueKind()), Is.All.EqualTo(System.Text.Json.JsonValueKind.String), where);
            }
        });
    }

    [Test]
    public void Request_bodies_are_closed_as_the_api_enforces_and_the_document_names_its_server_and_describes_its_tags()
    {
        var bodies = Operations().Select(o => Ref(o.Operation["requestBody"]?["content"]?["application/json"]?["schema"]))
            .OfType<string>().Select(r => r.Split('/')[^1]).Distinct().ToList();

        Assert.That(bodies, Is.SupersetOf(new[] { "MatchRequest", "ChoiceRequest", "AllianceRatingRequest", "OutcomeEventRequest", "TherapistRequest", "TherapistImportRequest" }));
        Assert.Multiple(() =>
        {
            foreach (var body in bodies)
            {
                Assert.That((bool?)Schema(body)["additionalProperties"], Is.False, body);
            }
        });
        Assert.That(_document["servers"]!.AsArray(), Is.Not.Empty);
        var declared = _document["tags"]!.AsArray().ToDictionary(t => (string)t!["name"]!, t => (string?)t!["description"]);
        var used = Operations().SelectMany(o => o.Operation["tags"]!.AsArray().Select(t => (string)t!)).Distinct();
        Assert.That(declared.Keys, Is.SupersetOf(used));
        Assert.That(declared.Values, Has.All.Not.Empty);
    }

    private static string ExamplesFolder()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Matching.sln")))
        {
            dir = dir.Parent;
        }

        Assert.That(dir, Is.Not.Null, "the repository root (Matching.sln) above the test directory");
        return Path.Combine(dir!.FullName, "examples");
    }

    [Test]
    public async Task A_client_generated_from_the_document_round_trips_every_example_and_runs_the_readme_flow()
    {
        var generated = await GeneratedClient.CompileAsync(_documentText);
        var examples = ExamplesFolder();
        var bodies = new Dictionary<string, string>
        {
            ["therapist.json"] = "TherapistRequest",
            ["match-request.json"] = "MatchRequest",
            ["choice.json"] = "ChoiceRequest",
            ["alliance-rating.json"] = "AllianceRatingRequest",
            ["outcome-event.json"] = "OutcomeEventRequest",
        };
        Assert.That(Directory.GetFiles(examples, "*.json").Select(Path.GetFileName), Is.EquivalentTo(bodies.Keys), "every example is checked");

        var matchId = Guid.NewGuid();
        var models = new Dictionary<string, object>();
        foreach (var (file, model) in bodies)
        {
            var text = File.ReadAllText(Path.Combine(examples, file)).Replace("REPLACE-WITH-MATCH-ID", matchId.ToString(), StringComparison.Ordinal);
            var typed = generated.Deserialize(text, model);
            Assert.That(JsonText.SameContent(generated.Serialize(typed), text), Is.True,
                $"{file} as {model} lost or changed a member:\n{generated.Serialize(typed)}");
            models[file] = typed;
        }

        using var http = _factory.ClientFor(Role.Data);
        var client = generated.Client(http);
        var therapistId = (string)JsonNode.Parse(File.ReadAllText(Path.Combine(examples, "choice.json")))!["therapistId"]!;

        await client.CallAsync("UpsertTherapist", therapistId, models["therapist.json"]);
        var therapist = await client.CallAsync("GetTherapist", therapistId);
        var match = await client.CallAsync("Match", models["match-request.json"]);
        var shortlistId = (Guid)generated.Get(match!, "MatchId")!;
        var shown = ((System.Collections.IEnumerable)generated.Get(match!, "Therapists")!).Cast<object>().Select(t => (string)generated.Get(t, "TherapistId")!).ToList();
        Assert.That(shown, Has.Member(therapistId), "the example therapist fits the example request");

        await client.CallAsync("Choose", shortlistId, models["choice.json"]);
        generated.Set(models["alliance-rating.json"], "MatchId", shortlistId);
        generated.Set(models["outcome-event.json"], "MatchId", shortlistId);
        var rating = await client.CallAsync("AddAllianceRating", models["alliance-rating.json"]);
        await client.CallAsync("AddOutcomeEvent", models["outcome-event.json"]);
        var stored = await client.CallAsync("GetShortlist", shortlistId);
        var page = await client.CallAsync("ListTherapists", "us-ny", null, null, null, null, null, null, "any", 1, 50);
        var models2 = await client.CallAsync("ListModels");

        Assert.Multiple(() =>
        {
            Assert.That(generated.Serialize(generated.Get(therapist!, "Profile")!), Does.Contain("\"ageGroups\":[\"adults\",\"olderAdults\"]"));
            Assert.That(generated.Get(rating!, "Overall"), Is.Not.Null);
            Assert.That((string?)generated.Get(stored!, "ChosenTherapistId"), Is.EqualTo(therapistId));
            Assert.That(generated.Serialize(generated.Get(stored!, "Request")!), Does.Contain("\"ageGroup\":[\"adults\"]"));
            Assert.That((int)generated.Get(page!, "Total")!, Is.GreaterThanOrEqualTo(1));
            Assert.That(models2, Is.Not.Null);
        });

        var problem = await client.FailAsync("Match", generated.Deserialize("""{"clientId":"c-1"}""", "MatchRequest"));
        Assert.That(problem.Status, Is.EqualTo(400));
        Assert.That(problem.Body, Is.Not.Null.And.Property("Errors").Not.Null, "the 400 is read as HttpValidationProblemDetails");
    }

    /// <summary>JSON compared by content: members in any order, a null member the same as an absent one, numbers by value.</summary>
    private static class JsonText
    {
        public static bool SameContent(string a, string b) => Same(JsonNode.Parse(a), JsonNode.Parse(b));

        private static bool Same(JsonNode? a, JsonNode? b) => (a, b) switch
        {
            (null, null) => true,
            (JsonObject x, JsonObject y) => Members(x).Count == Members(y).Count && Members(x).All(m => y[m.Key] is var v && Same(m.Value, v)),
            (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => Same(p.First, p.Second)),
            (JsonValue x, JsonValue y) when x.GetValueKind() == System.Text.Json.JsonValueKind.Number && y.GetValueKind() == System.Text.Json.JsonValueKind.Number
                => x.GetValue<decimal>() == y.GetValue<decimal>(),
            (JsonValue x, JsonValue y) => x.ToJsonString() == y.ToJsonString(),
            _ => false,
        };

        private static List<KeyValuePair<string, JsonNode?>> Members(JsonObject o) => o.Where(m => m.Value is not null).ToList();
    }

    /// <summary>A C# client generated by NSwag from the document, compiled by Roslyn and called through reflection.</summary>
    private sealed class GeneratedClient(Assembly assembly)
    {
        private const string Namespace = "Generated";

        public static async Task<GeneratedClient> CompileAsync(string document)
        {
            var openApi = await NSwag.OpenApiDocument.FromJsonAsync(document);
            var settings = new CSharpClientGeneratorSettings
            {
                ClassName = "MatchingClient",
                UseBaseUrl = false,
                GenerateClientInterfaces = false,
                OperationNameGenerator = new SingleClientFromOperationIdOperationNameGenerator(),
            };
            settings.CSharpGeneratorSettings.Namespace = Namespace;
            var code = new CSharpClientGenerator(openApi, settings).GenerateFile();

            var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Append(typeof(Newtonsoft.Json.JsonConvert).Assembly.Location)
                .Distinct()
                .Select(p => MetadataReference.CreateFromFile(p));
            var compilation = CSharpCompilation.Create("Generated.MatchingClient", [CSharpSyntaxTree.ParseText(code)], references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));
            using var image = new MemoryStream();
            var result = compilation.Emit(image);
            var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10).ToList();
            Assert.That(errors, Is.Empty, "the generated client compiles");
            return new GeneratedClient(Assembly.Load(image.ToArray()));
        }

        private Type Model(string name) => assembly.GetType($"{Namespace}.{name}") ?? throw new AssertionException($"the document has no schema {name}");

        public object Deserialize(string json, string model) => Newtonsoft.Json.JsonConvert.DeserializeObject(json, Model(model))!;

        public string Serialize(object value) => Newtonsoft.Json.JsonConvert.SerializeObject(value);

        public object? Get(object value, string property) => value.GetType().GetProperty(property)!.GetValue(value);

        public void Set(object value, string property, object? to) => value.GetType().GetProperty(property)!.SetValue(value, to);

        public Caller Client(HttpClient http) => new(Activator.CreateInstance(Model("MatchingClient"), http)!);

        public sealed class Caller(object client)
        {
            public async Task<object?> CallAsync(string operation, params object?[] arguments)
            {
                var method = client.GetType().GetMethods()
                    .Single(m => m.Name == operation + "Async" && m.GetParameters().Length == arguments.Length + 1);
                var task = (Task)method.Invoke(client, [.. arguments, CancellationToken.None])!;
                await task;
                return task.GetType().GetProperty("Result")?.GetValue(task) is var result && result?.GetType().Name != "VoidTaskResult" ? result : null;
            }

            public async Task<(int Status, object? Body)> FailAsync(string operation, params object?[] arguments)
            {
                try
                {
                    await CallAsync(operation, arguments);
                }
                catch (Exception e) when (e.GetType().Name.StartsWith("ApiException", StringComparison.Ordinal))
                {
                    return ((int)e.GetType().GetProperty("StatusCode")!.GetValue(e)!, e.GetType().GetProperty("Result")?.GetValue(e));
                }

                Assert.Fail($"{operation} should have failed");
                return (0, null);
            }
        }
    }
}
