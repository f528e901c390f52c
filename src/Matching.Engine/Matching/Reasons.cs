using Matching.Engine.Domain;

namespace Matching.Engine.Matching;

/// <summary>
/// Plain-word reasons a therapist fits (or does not) a client, built from the same features the
/// model sees, so a reason is never about something the model was not shown. Reasons mention
/// only what the client stated and what the therapist published.
/// </summary>
public static class Reasons
{
    private const int MaxReasons = 5;

    /// <summary>Reasons for one pair, positive ones first; a track record is strong when it is clearly above <paramref name="prior"/>, the population mean.</summary>
    public static IReadOnlyList<string> For(ClientPreferences client, Candidate candidate, ReadOnlySpan<float> row, AlliancePrior prior)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(candidate);
        var t = candidate.Profile;
        var good = new List<string>();
        var bad = new List<string>();

        if (client.Goals.Count > 0)
        {
            var first = client.Goals[0];
            if (t.Specialties.Contains(first))
            {
                good.Add($"specialises in your first goal: {Words(first)}");
            }
            else
            {
                bad.Add($"does not list your first goal ({Words(first)}) as a specialty");
            }

            string? others = null;
            for (var i = 1; i < client.Goals.Count; i++)
            {
                if (t.Specialties.Contains(client.Goals[i]))
                {
                    others = others is null ? Words(client.Goals[i]) : $"{others} and {Words(client.Goals[i])}";
                }
            }

            if (others is not null)
            {
                good.Add($"also works with {others}");
            }
        }

        // Strongest preference first, in the client's order within a strength.
        for (var strength = PreferenceStrength.Strong; strength >= PreferenceStrength.Slight; strength--)
        {
            for (var i = 0; i < client.Modalities.Count; i++)
            {
                var p = client.Modalities[i];
                if (p.Strength != strength)
                {
                    continue;
                }

                if (t.Modalities.Contains(p.Modality))
                {
                    good.Add($"offers {Words(p.Modality)}, which you preferred {Words(p.Strength)}");
                }
                else if (p.Strength >= PreferenceStrength.Moderate)
                {
                    bad.Add($"does not offer {Words(p.Modality)}, which you preferred {Words(p.Strength)}");
                }
            }
        }

        AddStyle(good, bad, row[PairFeatures.Index.DirectivenessFit], client.Style.Directiveness, t.Style.Directiveness, "follows your lead", "leads sessions actively");
        AddStyle(good, bad, row[PairFeatures.Index.StructureFit], client.Style.Structure, t.Style.Structure, "keeps sessions open and exploratory", "keeps sessions structured");
        AddStyle(good, bad, row[PairFeatures.Index.ChallengeFit], client.Style.Challenge, t.Style.Challenge, "offers warm support", "offers gentle challenge");

        if (client.Languages.Count > 0 && client.Languages[0] != "en" && t.Languages.Contains(client.Languages[0]))
        {
            good.Add($"works in your first language ({client.Languages[0]})");
        }

        if (client.Culture is { Importance: > Importance.None } culture)
        {
            if (Shared(culture.Backgrounds, t) is { } shared)
            {
                good.Add($"lists experience with your background ({shared})");
            }
            else if (culture.Importance >= Importance.Medium)
            {
                bad.Add("does not list experience with your background");
            }
        }

        if (client.Gender is { Importance: > Importance.None } gender)
        {
            (gender.Genders.Contains(t.Gender) ? good : bad).Add(gender.Genders.Contains(t.Gender)
                ? $"is a {Words(t.Gender)}, as you preferred"
                : $"is not of the gender you preferred");
        }

        if (client.Faith is { Importance: > Importance.None } faith)
        {
            if (string.Equals(faith.Faith, t.FaithTradition, StringComparison.Ordinal))
            {
                good.Add($"offers {faith.Faith} faith-informed practice");
            }
            else
            {
                bad.Add($"does not offer {faith.Faith} faith-informed practice");
            }
        }

        if (client.Identity is { Importance: > Importance.None } identity)
        {
            if (Shared(identity.Identities, t) is { } shared)
            {
                good.Add($"lists {shared} competence or lived experience");
            }
        }

        var track = candidate.Track;
        if (track.Ratings >= 10 && track.MeanAlliance > prior.Mean + 0.03)
        {
            good.Add($"clients report a strong working alliance ({track.Ratings} ratings)");
        }

        if (good.Count < MaxReasons)
        {
            good.AddRange(bad.Take(MaxReasons - good.Count));
        }
        else if (good.Count > MaxReasons)
        {
            good.RemoveRange(MaxReasons, good.Count - MaxReasons);
        }

        return good;
    }

    // The client's tags the therapist lists as competence or lived experience, comma-separated, or null.
    private static string? Shared(IReadOnlyList<string> wanted, TherapistProfile t)
    {
        string? shared = null;
        for (var i = 0; i < wanted.Count; i++)
        {
            var tag = wanted[i];
            if (t.CulturalCompetencies.Contains(tag) || t.LivedExperience.Contains(tag))
            {
                shared = shared is null ? tag : $"{shared}, {tag}";
            }
        }

        return shared;
    }

    private static void AddStyle(List<string> good, List<string> bad, float fit, double? wanted, double actual, string lowWords, string highWords)
    {
        if (wanted is null)
        {
            return;
        }

        var words = actual < 0.5 ? lowWords : highWords;
        if (fit >= 0.75)
        {
            good.Add($"{words}, as you asked");
        }
        else if (fit < 0.5)
        {
            bad.Add($"{words}, unlike what you asked");
        }
    }

    /// <summary>A goal in plain words.</summary>
    public static string Words(Goal goal) => goal switch
    {
        Goal.Ocd => "OCD",
        Goal.WorkStress => "work stress",
        Goal.SelfEsteem => "self-esteem",
        Goal.Eating => "eating difficulties",
        Goal.SubstanceUse => "substance use",
        Goal.LifeTransitions => "life transitions",
        _ => goal.ToString().ToLowerInvariant(),
    };

    /// <summary>A modality in plain words.</summary>
    public static string Words(Modality modality) => modality switch
    {
        Modality.Cbt or Modality.Dbt or Modality.Act or Modality.Emdr => modality.ToString().ToUpperInvariant(),
        Modality.PersonCentred => "person-centred therapy",
        Modality.FamilySystemic => "family and systemic therapy",
        Modality.Interpersonal => "interpersonal therapy",
        Modality.MindfulnessBased => "mindfulness-based therapy",
        Modality.SolutionFocused => "solution-focused therapy",
        Modality.CompassionFocused => "compassion-focused therapy",
        _ => $"{modality.ToString().ToLowerInvariant()} therapy",
    };

    private static string Words(PreferenceStrength strength) => strength switch
    {
        PreferenceStrength.Strong => "strongly",
        PreferenceStrength.Moderate => "moderately",
        _ => "slightly",
    };

    private static string Words(Gender gender) => gender switch
    {
        Gender.NonBinary => "non-binary therapist",
        _ => gender.ToString().ToLowerInvariant(),
    };
}
