namespace Matching.Api.Infrastructure;

/// <summary>Demo data settings, bound from <c>Matching:Demo</c>.</summary>
public sealed class DemoOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Matching:Demo";

    /// <summary>Fill an empty embedded database with the demo directory on start; default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Therapists in the demo directory; default 300.</summary>
    public int Therapists { get; set; } = 300;

    /// <summary>Seed of the demo directory; default 7.</summary>
    public int Seed { get; set; } = 7;
}

/// <summary>The deterministic demo directory (filled in once the simulator lands).</summary>
public static class DemoData
{
    /// <summary>Seeds the demo data when enabled and the directory is empty.</summary>
    public static Task SeedIfEmptyAsync(IServiceProvider services, ILogger logger) => Task.CompletedTask;
}
