namespace Matching.Engine.Simulation;

/// <summary>Names of the independent random streams (see <see cref="SimulationRandom.For"/>).</summary>
internal static class Streams
{
    internal const ulong Therapist = 1;
    internal const ulong Client = 2;
    internal const ulong Arrival = 3;
    internal const ulong Request = 4;
    internal const ulong Course = 5;
    internal const ulong Dyad = 6;
    internal const ulong Centring = 7;
    internal const ulong ShortlistId = 8;
}
