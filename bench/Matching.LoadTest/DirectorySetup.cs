using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Matching.Engine.Domain;
using Matching.Engine.Simulation;

namespace Matching.LoadTest;

/// <summary>
/// Builds the directory through the service's own API, as a data owner would: the simulator's
/// directory for the seed (its first therapists are the seed history's, so their track records
/// carry over), posted to <c>/v1/therapists/import</c> in batches of the endpoint's maximum.
/// Then reads which model serves and how many trees it has, and what the standard request
/// leaves eligible, from real responses.
/// </summary>
public static class DirectorySetup
{
    public const string DataKey = "demo-data-key-0003";

    /// <summary>The import endpoint's limit (<c>TherapistImportRequest.MaxTherapists</c> in the API).</summary>
    private const int ImportBatch = 5_000;

    public static async Task<SetupSummary> BuildAsync(Uri url, int therapists, int seed, byte[] standardRequest, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(5) };
        var watch = Stopwatch.StartNew();
        var imported = 0;
        foreach (var batch in Simulator.Directory(therapists, seed).Chunk(ImportBatch))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/therapists/import")
            {
                Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new { therapists = batch }, DomainJson.Options)),
            };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("X-Api-Key", DataKey);
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Import answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}");
            }

            using var result = JsonDocument.Parse(text);
            imported += result.RootElement.GetProperty("imported").GetInt32();
        }

        var importSeconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"  directory: {imported:N0} therapists imported through /v1/therapists/import in {importSeconds:0.0} s");
        var (serving, trees) = await ServingModelAsync(http, ct);
        Console.WriteLine($"  model serving: {serving ?? "unknown"}, {(trees is { } t ? $"{t} trees" : "tree count unknown")} (GET /v1/models)");
        var probe = await ProbeAsync(http, standardRequest, ct);
        Console.WriteLine($"  standard request: eligible {probe.Eligible:N0} of {probe.Considered:N0} considered; excluded by {Describe(probe.ExcludedBy)}");
        return new SetupSummary(therapists, imported, importSeconds, serving, trees, probe.Considered, probe.Eligible, null, probe.ExcludedBy);
    }

    /// <summary>Posts the standard request once and reads considered, eligible and the exclusions from the answer.</summary>
    public static async Task<(int? Considered, int? Eligible, IReadOnlyDictionary<string, int>? ExcludedBy)> ProbeAsync(HttpClient http, byte[] standardRequest, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/matches") { Content = new ByteArrayContent(standardRequest) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Api-Key", Traffic.DirectoryKey);
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The standard request answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}");
        }

        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        int? Int(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
        var excluded = root.TryGetProperty("excludedBy", out var e) && e.ValueKind == JsonValueKind.Object
            ? e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32())
            : null;
        return (Int("considered"), Int("eligible"), excluded);
    }

    public static string Describe(IReadOnlyDictionary<string, int>? excludedBy) =>
        excludedBy is null ? "(not reported)" : string.Join(", ", excludedBy.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value:N0}"));

    private static async Task<(string? Serving, int? Trees)> ServingModelAsync(HttpClient http, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("X-Api-Key", Traffic.IntakeKey);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            return (null, null);
        }

        var root = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var serving = root.TryGetProperty("serving", out var s) ? s.GetString() : null;
        int? trees = null;
        if (root.TryGetProperty("models", out var models))
        {
            foreach (var model in models.EnumerateArray())
            {
                if (model.TryGetProperty("version", out var v) && v.GetString() == serving
                    && model.TryGetProperty("metrics", out var metrics) && metrics.TryGetProperty("trees", out var t))
                {
                    trees = (int)t.GetDouble();
                }
            }
        }

        return (serving, trees);
    }
}
