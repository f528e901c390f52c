namespace Matching.Data.Tests;

/// <summary>A clock that stands still until a test moves it; whole seconds so every engine stores it exactly.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    /// <summary>Monday 3 March 2025, 09:00 UTC.</summary>
    public static readonly DateTimeOffset Start = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    private DateTimeOffset _now = now;

    public ManualClock()
        : this(Start)
    {
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
