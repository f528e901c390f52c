namespace Matching.Engine.Simulation;

/// <summary>Options of a simulated history. Every default is the one the project's tests and demo data use.</summary>
public sealed record SimulationOptions
{
    /// <summary>Therapists in the directory. Default 300.</summary>
    public int Therapists { get; init; } = 300;

    /// <summary>Clients arriving over the period. Default 5,000.</summary>
    public int Clients { get; init; } = 5_000;

    /// <summary>Seed; the same seed and options give the same history, byte for byte. Default 20250106.</summary>
    public int Seed { get; init; } = 20250106;

    /// <summary>Weeks over which clients arrive, uniformly. Default 52.</summary>
    public int Weeks { get; init; } = 52;

    /// <summary>Most therapists on a shortlist. Default 10.</summary>
    public int ShortlistSize { get; init; } = 10;

    /// <summary>Probability that a client who dropped out before session 3 asks for another therapist. Default 0.4 (the science page's estimate is 0.3-0.5).</summary>
    public double RematchProbability { get; init; } = 0.4;

    /// <summary>Probability that a client shown a shortlist chooses no one. Default 0.10.</summary>
    public double NoChoiceProbability { get; init; } = 0.10;

    /// <summary>Start of the simulated period: Monday 2025-01-06T00:00Z. Weeks (and weekly capacity) count from here.</summary>
    public DateTimeOffset Epoch { get; init; } = new(2025, 1, 6, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Therapists);
        ArgumentOutOfRangeException.ThrowIfNegative(Clients);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Weeks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ShortlistSize);
        if (RematchProbability is < 0 or > 1 || double.IsNaN(RematchProbability))
        {
            throw new ArgumentOutOfRangeException(nameof(RematchProbability), RematchProbability, "A probability is in [0, 1].");
        }

        if (NoChoiceProbability is < 0 or > 1 || double.IsNaN(NoChoiceProbability))
        {
            throw new ArgumentOutOfRangeException(nameof(NoChoiceProbability), NoChoiceProbability, "A probability is in [0, 1].");
        }
    }
}
