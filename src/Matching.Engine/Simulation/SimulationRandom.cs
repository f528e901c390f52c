using System.Numerics;

namespace Matching.Engine.Simulation;

/// <summary>
/// A small seeded pseudo-random generator (xoshiro256** seeded through SplitMix64). It is
/// self-contained rather than <see cref="Random"/> so that a seed gives the same world on every
/// .NET version and platform, which the truth file and recorded histories rely on.
/// </summary>
public sealed class SimulationRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public SimulationRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>
    /// A generator for one named stream of one entity (e.g. therapist 17's profile). Separate
    /// streams keep draws independent of each other, so changing one part of the simulation (a
    /// logging policy, the number of therapists) does not reshuffle every other random draw.
    /// </summary>
    /// <param name="seed">The simulation seed.</param>
    /// <param name="stream">A constant naming what the draws are for.</param>
    /// <param name="index">The entity index.</param>
    /// <param name="sub">A further index, e.g. the attempt number.</param>
    public static SimulationRandom For(int seed, ulong stream, long index, long sub = 0) =>
        new(Hash(seed, stream, index, sub));

    /// <summary>A well-mixed 64-bit hash of the seed and three keys, stable across versions and platforms.</summary>
    public static ulong Hash(int seed, ulong a, long b, long c = 0)
    {
        var h = Mix(unchecked((ulong)seed + 0x9E3779B97F4A7C15UL));
        h = Mix(h ^ Mix(a + 0xD1B54A32D192ED03UL));
        h = Mix(h ^ Mix(unchecked((ulong)b) + 0x8CB92BA72F3D8DD7UL));
        return Mix(h ^ Mix(unchecked((ulong)c) + 0xABC98388FB8FAC03UL));
    }

    /// <summary>A standard normal from a hash (two uniforms from the hash, Box-Muller).</summary>
    public static double NormalFromHash(ulong hash)
    {
        var u1 = ToUnitOpen(hash);
        var u2 = ToUnitOpen(Mix(hash ^ 0x5851F42D4C957F2DUL));
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, maxExclusive).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        // Multiply-shift (Lemire) without the rejection step: the bias is below 2^-32 for the small ranges used here.
        return (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);
    }

    /// <summary>A uniform integer in [minInclusive, maxInclusive].</summary>
    public int NextInt(int minInclusive, int maxInclusive) => minInclusive + NextInt(maxInclusive - minInclusive + 1);

    /// <summary>True with the given probability.</summary>
    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>A standard normal (Box-Muller; one value per call for simplicity and stream stability).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A normal with the given mean and variance (not standard deviation, as the science page states variances).</summary>
    public double NextNormal(double mean, double variance) => mean + Math.Sqrt(variance) * NextGaussian();

    /// <summary>A standard Gumbel draw, for Plackett-Luce sampling via perturbed scores.</summary>
    public double NextGumbel() => -Math.Log(-Math.Log(ToUnitOpen(NextUInt64())));

    /// <summary>An index drawn with probability proportional to its weight.</summary>
    public int PickWeighted(ReadOnlySpan<double> weights)
    {
        var total = 0.0;
        foreach (var w in weights)
        {
            total += w;
        }

        var r = NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            r -= weights[i];
            if (r < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        return Mix(x);
    }

    private static double ToUnitOpen(ulong bits) => ((bits >> 11) + 0.5) * (1.0 / (1UL << 53));
}
