using Matching.Engine.Domain;

namespace Matching.Engine.Simulation;

/// <summary>
/// How well a therapist meets what a client stated, as the client (and a simple logging policy)
/// would judge it from the profile. Deliberately not the hidden truth: it knows no therapist
/// effect and no dyad chemistry, and it weighs things as people do (gender and culture count
/// more in choosing than they later matter to the alliance).
/// </summary>
internal static class PerceivedFit
{
    internal static double Score(ClientPreferences c, TherapistProfile t)
    {
        var score = 0.0;
        for (var k = 0; k < c.Goals.Count; k++)
        {
            if (Has(t.Specialties, c.Goals[k]))
            {
                score += 1.0 * SimulationVocabulary.GoalOrderWeight(k, c.Goals.Count);
            }
        }

        if (c.Modalities.Count > 0)
        {
            score += 0.8 * ModalityMet(c, t);
        }

        score += 0.6 * StyleCloseness(c.Style, t.Style);

        if (c.Culture is { Importance: not Importance.None } culture && culture.Backgrounds.Count > 0)
        {
            score += 0.8 * culture.Importance.Weight() * Share(culture.Backgrounds, t);
        }

        if (c.Gender is { Importance: not Importance.None } gender)
        {
            score += 0.8 * gender.Importance.Weight() * (Has(gender.Genders, t.Gender) ? 1 : 0);
        }

        if (c.Faith is { Importance: not Importance.None } faith)
        {
            score += 0.6 * faith.Importance.Weight() * (string.Equals(faith.Faith, t.FaithTradition, StringComparison.Ordinal) ? 1 : 0);
        }

        if (c.Identity is { Importance: not Importance.None } identity && identity.Identities.Count > 0)
        {
            score += 0.6 * identity.Importance.Weight() * Share(identity.Identities, t);
        }

        if (c.Languages.Count > 0 && c.Languages[0] != "en" && Has(t.Languages, c.Languages[0]))
        {
            score += 0.6;
        }

        return score;
    }

    /// <summary>Share of the client's modality preference strength the therapist offers; 0 without preferences.</summary>
    internal static double ModalityMet(ClientPreferences c, TherapistProfile t)
    {
        double met = 0, total = 0;
        foreach (var m in c.Modalities)
        {
            total += (int)m.Strength;
            if (Has(t.Modalities, m.Modality))
            {
                met += (int)m.Strength;
            }
        }

        return total == 0 ? 0 : met / total;
    }

    /// <summary>
    /// Whether the client stated a preference the dropout literature counts (Swift et al. 2018:
    /// modality, role, therapist traits), and the share of those met by this therapist.
    /// </summary>
    internal static (bool HasPreference, double Met) Accommodation(ClientPreferences c, TherapistProfile t)
    {
        var n = 0;
        var met = 0.0;
        if (c.Modalities.Count > 0)
        {
            n++;
            met += ModalityMet(c, t);
        }

        if (c.Gender is { Importance: >= Importance.Medium } gender)
        {
            n++;
            met += Has(gender.Genders, t.Gender) ? 1 : 0;
        }

        return n == 0 ? (false, 1.0) : (true, met / n);
    }

    /// <summary>Closeness on the axes the client has a view on, centred so that no view scores 0.</summary>
    private static double StyleCloseness(StylePreference pref, CommunicationStyle style)
    {
        var n = 0;
        var sum = 0.0;
        void Axis(double? wanted, double actual)
        {
            if (wanted is { } w)
            {
                n++;
                sum += 0.5 - Math.Abs(w - actual);
            }
        }

        Axis(pref.Directiveness, style.Directiveness);
        Axis(pref.Structure, style.Structure);
        Axis(pref.Challenge, style.Challenge);
        return n == 0 ? 0 : sum / n;
    }

    private static double Share(IReadOnlyList<string> tags, TherapistProfile t)
    {
        var hits = 0.0;
        foreach (var tag in tags)
        {
            if (Has(t.LivedExperience, tag) || Has(t.CulturalCompetencies, tag))
            {
                hits++;
            }
        }

        return hits / tags.Count;
    }

    // An indexed loop rather than LINQ's Contains: this runs millions of times in a large simulation.
    private static bool Has<T>(IReadOnlyList<T> list, T value)
    {
        for (var k = 0; k < list.Count; k++)
        {
            if (EqualityComparer<T>.Default.Equals(list[k], value))
            {
                return true;
            }
        }

        return false;
    }
}
