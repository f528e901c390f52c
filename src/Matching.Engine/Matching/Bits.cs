using System.Numerics;

namespace Matching.Engine.Matching;

/// <summary>Bitsets over directory slots, one bit per therapist, 64 to a word.</summary>
internal static class Bits
{
    /// <summary>Words needed for <paramref name="bits"/> bits.</summary>
    public static int WordsFor(int bits) => (bits + 63) >> 6;

    public static bool Test(ReadOnlySpan<ulong> set, int i) => (set[i >> 6] & (1UL << i)) != 0;

    public static void Set(Span<ulong> set, int i) => set[i >> 6] |= 1UL << i;

    public static void Clear(Span<ulong> set, int i) => set[i >> 6] &= ~(1UL << i);

    public static void Assign(Span<ulong> set, int i, bool value)
    {
        if (value)
        {
            Set(set, i);
        }
        else
        {
            Clear(set, i);
        }
    }

    public static int Count(ReadOnlySpan<ulong> set)
    {
        var n = 0;
        foreach (var w in set)
        {
            n += BitOperations.PopCount(w);
        }

        return n;
    }

    /// <summary><paramref name="target"/> &amp;= <paramref name="other"/>; an absent set (null) is empty.</summary>
    public static void And(Span<ulong> target, ulong[]? other)
    {
        if (other is null)
        {
            target.Clear();
            return;
        }

        for (var w = 0; w < target.Length; w++)
        {
            target[w] &= other[w];
        }
    }

    /// <summary><paramref name="target"/> |= <paramref name="other"/>; an absent set (null) adds nothing.</summary>
    public static void Or(Span<ulong> target, ulong[]? other)
    {
        if (other is null)
        {
            return;
        }

        for (var w = 0; w < target.Length; w++)
        {
            target[w] |= other[w];
        }
    }

    /// <summary>Writes the index of every set bit, ascending, into <paramref name="into"/>; returns how many.</summary>
    public static int Collect(ReadOnlySpan<ulong> set, Span<int> into)
    {
        var n = 0;
        for (var w = 0; w < set.Length; w++)
        {
            for (var bits = set[w]; bits != 0; bits &= bits - 1)
            {
                into[n++] = (w << 6) + BitOperations.TrailingZeroCount(bits);
            }
        }

        return n;
    }
}
