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
