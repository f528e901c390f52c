namespace Matching.Training.Tests;

/// <summary>A clock that stands still until a test moves it.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    /// <summary>Wednesday 18 November 2026, 09:00 UTC: long after every simulated history's feedback came in.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 18, 9, 0, 0, TimeSpan.Zero);

    private DateTimeOffset _now = now;

    public ManualClock()
        : this(Start)
    {
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
