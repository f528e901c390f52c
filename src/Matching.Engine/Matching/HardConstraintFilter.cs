using Matching.Engine.Domain;

namespace Matching.Engine.Matching;

/// <summary>The hard constraints, in the order they are checked. A therapist is counted against the first one it fails.</summary>
public enum Constraint
{
    /// <summary>Not accepting new clients, or no capacity left this week.</summary>
    Accepting,
    /// <summary>Not licensed in the client's region.</summary>
    Region,
    /// <summary>Does not offer the session format (video, or an office in the client's city).</summary>
    Format,
    /// <summary>Shares none of the client's languages.</summary>
    Language,
    /// <summary>Does not serve the client's age group.</summary>
    AgeGroup,
    /// <summary>Does not accept the client's insurance.</summary>
    Insurance,
    /// <summary>Fee above the client's maximum (self-pay only).</summary>
    Fee,
    /// <summary>No appointments at times the client can attend.</summary>
    Availability,
}

/// <summary>Applies a client's hard constraints to therapists.</summary>
public static class HardConstraintFilter
{
    /// <summary>Number of <see cref="Constraint"/> values, for counting arrays.</summary>
    public const int ConstraintCount = (int)Constraint.Availability + 1;

    /// <summary>Returns the first constraint the therapist fails, or null when the therapist is eligible.</summary>
    /// <param name="client">The client's request.</param>
    /// <param name="therapist">The candidate.</param>
    /// <param name="capacityLeft">New-client places left this week.</param>
    public static Constraint? FirstFailed(ClientPreferences client, TherapistProfile therapist, int capacityLeft)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(therapist);
        var c = client.Constraints;
        if (!therapist.AcceptingNewClients || capacityLeft <= 0)
        {
            return Constraint.Accepting;
        }

        if (!Contains(therapist.LicensedRegions, c.Region))
        {
            return Constraint.Region;
        }

        var inPerson = c.City is not null && Contains(therapist.InPersonCities, c.City);
        var formatOk = c.Format switch
        {
            SessionFormat.Video => therapist.OffersVideo,
            SessionFormat.InPerson => inPerson,
            _ => therapist.OffersVideo || inPerson,
        };
        if (!formatOk)
        {
            return Constraint.Format;
        }

        if (!SharesAny(therapist.Languages, client.Languages))
        {
            return Constraint.Language;
        }

        if ((therapist.AgeGroups & c.AgeGroup) == 0)
        {
            return Constraint.AgeGroup;
        }

        if (c.Insurance is not null && !Contains(therapist.InsuranceAccepted, c.Insurance))
        {
            return Constraint.Insurance;
        }

        if (c.Insurance is null && c.MaxFee is { } maxFee && therapist.Fee > maxFee)
        {
            return Constraint.Fee;
        }

        if (c.Availability != Availability.None && (therapist.Availability & c.Availability) == 0)
        {
            return Constraint.Availability;
        }

        return null;
    }

    /// <summary>
    /// Applies a client's hard constraints to a whole directory by intersecting its bitsets, in
    /// the order of <see cref="Constraint"/>, so each listed therapist is counted against the first
    /// constraint it fails exactly as <see cref="FirstFailed"/> would count it. Only the fee is
    /// checked therapist by therapist, on those still eligible. Cost grows with the directory's
    /// words and the eligible set, not with its profiles.
    /// </summary>
    /// <param name="client">The client's request.</param>
    /// <param name="directory">The directory.</param>
    /// <param name="eligible">Receives the eligible slots (<see cref="TherapistDirectory.Words"/> words).</param>
    /// <param name="scratch">Working space of the same length.</param>
    /// <param name="excludedBy">Receives the count per constraint (<see cref="ConstraintCount"/> entries).</param>
    /// <returns>The number of therapists considered (listed).</returns>
    internal static int Apply(ClientPreferences client, TherapistDirectory directory, Span<ulong> eligible, Span<ulong> scratch, Span<int> excludedBy)
    {
        var c = client.Constraints;
        directory.ListedSet.CopyTo(eligible);
        var left = directory.ListedCount;
        var considered = left;

        Bits.And(eligible, directory.OpenSet);
        left = Count(eligible, left, Constraint.Accepting, excludedBy);

        Bits.And(eligible, directory.Set(Attr.Tagged(AttrKind.Region, c.Region)));
        left = Count(eligible, left, Constraint.Region, excludedBy);

        scratch.Clear();
        if (c.Format != SessionFormat.InPerson)
        {
            Bits.Or(scratch, directory.Set(Attr.Coded(AttrKind.Video, 0)));
        }

        if (c.Format != SessionFormat.Video && c.City is not null)
        {
            Bits.Or(scratch, directory.Set(Attr.Tagged(AttrKind.City, c.City)));
        }

        And(eligible, scratch);
        left = Count(eligible, left, Constraint.Format, excludedBy);

        scratch.Clear();
        foreach (var language in client.Languages)
        {
            Bits.Or(scratch, directory.Set(Attr.Tagged(AttrKind.Language, language)));
        }

        And(eligible, scratch);
        left = Count(eligible, left, Constraint.Language, excludedBy);

        OrFlags(directory, AttrKind.AgeGroup, (int)c.AgeGroup, scratch);
        And(eligible, scratch);
        left = Count(eligible, left, Constraint.AgeGroup, excludedBy);

        if (c.Insurance is not null)
        {
            Bits.And(eligible, directory.Set(Attr.Tagged(AttrKind.Insurance, c.Insurance)));
        }

        left = Count(eligible, left, Constraint.Insurance, excludedBy);

        if (c.Insurance is null && c.MaxFee is { } maxFee)
        {
            for (var w = 0; w < eligible.Length; w++)
            {
                for (var bits = eligible[w]; bits != 0; bits &= bits - 1)
                {
                    var slot = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
                    if (directory.Entry(slot).Fee > maxFee)
                    {
                        Bits.Clear(eligible, slot);
                    }
                }
            }
        }

        left = Count(eligible, left, Constraint.Fee, excludedBy);

        if (c.Availability != Availability.None)
        {
            OrFlags(directory, AttrKind.Availability, (int)c.Availability, scratch);
            And(eligible, scratch);
        }

        Count(eligible, left, Constraint.Availability, excludedBy);
        return considered;
    }

    private static int Count(ReadOnlySpan<ulong> eligible, int before, Constraint constraint, Span<int> excludedBy)
    {
        var after = Bits.Count(eligible);
        excludedBy[(int)constraint] = before - after;
        return after;
    }

    private static void And(Span<ulong> target, ReadOnlySpan<ulong> other)
    {
        for (var w = 0; w < target.Length; w++)
        {
            target[w] &= other[w];
        }
    }

    private static void OrFlags(TherapistDirectory directory, AttrKind kind, int flags, Span<ulong> scratch)
    {
        scratch.Clear();
        for (var bit = 1; bit != 0 && bit <= flags; bit <<= 1)
        {
            if ((flags & bit) != 0)
            {
                Bits.Or(scratch, directory.Set(Attr.Coded(kind, bit)));
            }
        }
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        foreach (var item in list)
        {
            if (string.Equals(item, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the two lists share an element (ordinal comparison).</summary>
    public static bool SharesAny(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        foreach (var item in b)
        {
            if (Contains(a, item))
            {
                return true;
            }
        }

        return false;
    }
}
