using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Matching.Engine.Domain;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Intake.Tests;

/// <summary>
/// The real API on Kestrel at a free loopback port, on its own temporary SQLite file, with a
/// small directory imported through the API: what a browser reaches when staff open the page.
/// </summary>
public sealed class IntakeHost : WebApplicationFactory<Program>
{
    /// <summary>The intake key staff sign in with.</summary>
    public const string IntakeKey = "browser-intake-key-000000002";

    /// <summary>A directory website's key: may match, may not read stored shortlists.</summary>
    public const string DirectoryKey = "browser-directory-key-00001";

    private const string DataKey = "browser-data-key-0000000003";

    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"matching-intake-{Guid.NewGuid():N}.db");

    public IntakeHost(IReadOnlyDictionary<string, string>? settings = null)
    {
        _settings = settings ?? new Dictionary<string, string>();
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>Where the page is served, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Starts the server and imports <see cref="BrowserDirectory.All"/>.</summary>
    public async Task<IntakeHost> StartAsync()
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseUrl = new Uri(address.TrimEnd('/') + "/");

        using var client = new HttpClient { BaseAddress = BaseUrl };
        client.DefaultRequestHeaders.Add("X-Api-Key", DataKey);
        var json = DomainJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var response = await client.PostAsJsonAsync("v1/therapists/import", new { therapists = BrowserDirectory.All }, json);
        Assert.That(response.IsSuccessStatusCode, Is.True, await response.Content.ReadAsStringAsync());
        return this;
    }

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Matching:Database:ConnectionString", $"Data Source={_databasePath}");
        builder.UseSetting("Matching:Demo:Enabled", "false");
        var keys = new[] { ("browser-directory", DirectoryKey, "Directory"), ("browser-intake", IntakeKey, "Intake"), ("browser-data", DataKey, "Data") };
        for (var i = 0; i < keys.Length; i++)
        {
            builder.UseSetting($"Matching:ApiKeys:{i}:Name", keys[i].Item1);
            builder.UseSetting($"Matching:ApiKeys:{i}:Key", keys[i].Item2);
            builder.UseSetting($"Matching:ApiKeys:{i}:Role", keys[i].Item3);
        }

        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(_databasePath + suffix);
            }
        }
    }
}

/// <summary>
/// Eight New York therapists: four that a New York adult wanting video help in English can see,
/// and four that one must-have each excludes, so the exclusion chart has something to show.
/// </summary>
public static class BrowserDirectory
{
    /// <summary>Everyone.</summary>
    public static IReadOnlyList<TherapistProfile> All { get; } =
    [
        Profile("t-ana", "Dr Ana Ruiz, PsyD") with
        {
            Languages = ["en", "es"], Modalities = [Modality.Cbt, Modality.MindfulnessBased], Specialties = [Goal.Panic, Goal.Sleep],
            Style = new CommunicationStyle(0.8, 0.8, 0.5), CulturalCompetencies = ["latino"], Fee = 140,
        },
        Profile("t-ben", "Ben Okafor, LCSW") with
        {
            Modalities = [Modality.Act, Modality.Cbt], Specialties = [Goal.Anxiety, Goal.Panic], Style = new CommunicationStyle(0.6, 0.6, 0.6),
            InPersonCities = ["brooklyn"], Gender = Gender.Man, Fee = 120,
        },
        Profile("t-chen", "Mei Chen, LMFT") with
        {
            Modalities = [Modality.PersonCentred, Modality.Psychodynamic], Specialties = [Goal.Depression, Goal.Grief],
            Style = new CommunicationStyle(0.2, 0.3, 0.3), Fee = 170,
        },
        Profile("t-dev", "Dev Patel, PhD") with
        {
            Modalities = [Modality.Cbt, Modality.Emdr], Specialties = [Goal.Trauma, Goal.Panic], Style = new CommunicationStyle(0.7, 0.9, 0.7),
            Gender = Gender.Man, Fee = 160,
        },
        Profile("t-cal", "Dr Cal West") with { LicensedRegions = ["us-ca"] },
        Profile("t-full", "Dr Full Book") with { AcceptingNewClients = false },
        Profile("t-kids", "Dr Kim Young") with { AgeGroups = AgeGroups.Children },
        Profile("t-es", "Dra Sol Vega") with { Languages = ["es"] },
    ];

    private static TherapistProfile Profile(string id, string name) => new(
        Id: id,
        DisplayName: name,
        LicensedRegions: ["us-ny"],
        InPersonCities: [],
        OffersVideo: true,
        Languages: ["en"],
        Modalities: [Modality.Cbt],
        Specialties: [Goal.Panic],
        Style: new CommunicationStyle(0.5, 0.5, 0.5),
        CulturalCompetencies: [],
        LivedExperience: [],
        Gender: Gender.Woman,
        FaithTradition: null,
        InsuranceAccepted: ["aetna"],
        Fee: 150,
        AgeGroups: AgeGroups.Adults | AgeGroups.OlderAdults,
        Availability: Availability.WeekdayDaytime | Availability.WeekdayEvening,
        WeeklyNewClientCapacity: 3,
        AcceptingNewClients: true);
}
