namespace Matching.Engine.Domain;

/// <summary>Calendar rules shared by serving, simulation and evaluation.</summary>
public static class Calendar
{
    /// <summary>Monday 00:00 UTC of the week containing <paramref name="at"/>: weekly new-client capacity resets then.</summary>
    public static DateTimeOffset WeekStart(DateTimeOffset at)
    {
        var day = at.UtcDateTime.Date;
        return new DateTimeOffset(day.AddDays(-(((int)day.DayOfWeek + 6) % 7)), TimeSpan.Zero);
    }
}
