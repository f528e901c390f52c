using Matching.Engine.Domain;

namespace Matching.Engine.Matching;

/// <summary>
/// Plain-word reasons a therapist fits (or does not) a client, built from the same facts the
/// model's features are computed from, so a reason is never about something the model was not
/// shown. Reasons mention only what the client stated and what the therapist published, and a
/// reason that says "as you asked" names a preference the client stated on that side.
/// </summary>
public static class Reasons
{
    private const int MaxReasons = 5;

    /// <summary>Reasons for one pair, positive ones first; a track record is strong when it is clearly above <paramref name="prior"/>, the population mean.</summary>
    public static IReadOnlyList<string> For(ClientPreferences client, Candidate candidate, AlliancePrior prior)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(candidate);
        var t = candidate.Profile;
        var good = new List<string>(MaxReasons + 2);
        var bad = new List<string>(4);

        if (client.Goals.Count > 0)
        {
            var first = client.Goals[0];
            if (t.Specialties.Contains(first))
            {
                good.Add(Phrase(FirstGoalListed, first, static g => $"specialises in your first goal: {Words(g)}"));
            }
            else
            {
                bad.Add(Phrase(FirstGoalNotListed, first, static g => $"does not list your first goal ({Words(g)}) as a specialty"));
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
                    good.Add(Phrase(Offers, p, static p => $"offers {Words(p.Modality)}, which you preferred {Words(p.Strength)}"));
                }
                else if (p.Strength >= PreferenceStrength.Moderate)
                {
                    bad.Add(Phrase(DoesNotOffer, p, static p => $"does not offer {Words(p.Modality)}, which you preferred {Words(p.Strength)}"));
                }
            }
        }

        AddStyle(good, bad, client.Style.Directiveness, t.Style.Directiveness, DirectivenessWords);
        AddStyle(good, bad, client.Style.Structure, t.Style.Structure, StructureWords);
        AddStyle(good, bad, client.Style.Challenge, t.Style.Challenge, ChallengeWords);

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

        for (var i = 0; i < bad.Count && good.Count < MaxReasons; i++)
        {
            good.Add(bad[i]);
        }

        if (good.Count > MaxReasons)
        {
            good.RemoveRange(MaxReasons, good.Count - MaxReasons);
        }

        return good;
    }

    // The fixed phrases, made once per value rather than formatted again for every item of every
    // shortlist (the match path's largest allocation before). A value outside the table (not a
    // named member) is formatted as before.
    private static readonly string?[] FirstGoalListed = new string?[Enum.GetValues<Goal>().Length];
    private static readonly string?[] FirstGoalNotListed = new string?[Enum.GetValues<Goal>().Length];
    private static readonly string?[] Offers = new string?[Enum.GetValues<Modality>().Length * 4];
    private static readonly string?[] DoesNotOffer = new string?[Enum.GetValues<Modality>().Length * 4];

    private static string Phrase(string?[] table, Goal goal, Func<Goal, string> make) =>
        (uint)goal < (uint)table.Length ? table[(int)goal] ??= make(goal) : make(goal);

    private static string Phrase(string?[] table, ModalityPreference p, Func<ModalityPreference, string> make)
    {
        var slot = ((int)p.Modality * 4) + (int)p.Strength;
        return (uint)p.Modality < (uint)(table.Length / 4) && (uint)p.Strength < 4u ? table[slot] ??= make(p) : make(p);
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

    // A style value within this distance of 0.5 states no side: a client there asked for neither
    // end, a therapist there is neither. 0.5 is the neutral point of every style axis.
    private const double NeutralBand = 0.1;

    /// <summary>
    /// A style reason names the client's preference only when the client stated one on a side of
    /// the axis, and describes the therapist only when the therapist is clearly on a side: the
    /// same side is "as you asked", the other side "unlike what you asked". How close the two
    /// values are (the model's fit feature) does not decide the words: a neutral client close to
    /// an active therapist did not ask for one.
    /// </summary>
    private static void AddStyle(List<string> good, List<string> bad, double? wanted, double actual, StyleWords words)
    {
        if (Side(wanted) is not { } asked || Side(actual) is not { } offered)
        {
            return;
        }

        if (offered == asked)
        {
            good.Add(offered ? words.HighAsked : words.LowAsked);
        }
        else
        {
            bad.Add(offered ? words.HighUnlike : words.LowUnlike);
        }
    }

    // A style axis's four phrases, made once.
    private sealed record StyleWords(string LowAsked, string LowUnlike, string HighAsked, string HighUnlike)
    {
        public static StyleWords Of(string low, string high) =>
            new($"{low}, as you asked", $"{low}, unlike what you asked", $"{high}, as you asked", $"{high}, unlike what you asked");
    }

    private static readonly StyleWords DirectivenessWords = StyleWords.Of("follows your lead", "leads sessions actively");
    private static readonly StyleWords StructureWords = StyleWords.Of("keeps sessions open and exploratory", "keeps sessions structured");
    private static readonly StyleWords ChallengeWords = StyleWords.Of("offers warm support", "offers gentle challenge");

    // True for the high end of a style axis, false for the low end, null for neither.
    private static bool? Side(double? value) => value switch
    {
        >= 0.5 + NeutralBand => true,
        <= 0.5 - NeutralBand => false,
        _ => null,
    };

    /// <summary>A goal in plain words.</summary>
    public static string Words(Goal goal) => (uint)goal < (uint)GoalWords.Length ? GoalWords[(int)goal] : GoalWordsOf(goal);

    /// <summary>A modality in plain words.</summary>
    public static string Words(Modality modality) => (uint)modality < (uint)ModalityWords.Length ? ModalityWords[(int)modality] : ModalityWordsOf(modality);

    private static readonly string[] GoalWords = ByValue<Goal>(GoalWordsOf);
    private static readonly string[] ModalityWords = ByValue<Modality>(ModalityWordsOf);

    private static string[] ByValue<T>(Func<T, string> words)
        where T : struct, Enum
    {
        var values = Enum.GetValues<T>();
        var table = new string[values.Max(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)) + 1];
        foreach (var v in values)
        {
            table[Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)] = words(v);
        }

        return table;
    }

    private static string GoalWordsOf(Goal goal) => goal switch
    {
        Goal.Ocd => "OCD",
        Goal.WorkStress => "work stress",
        Goal.SelfEsteem => "self-esteem",
        Goal.Eating => "eating difficulties",
        Goal.SubstanceUse => "substance use",
        Goal.LifeTransitions => "life transitions",
        _ => goal.ToString().ToLowerInvariant(),
    };

    private static string ModalityWordsOf(Modality modality) => modality switch
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
        Gender.Woman => "woman",
        Gender.Man => "man",
        Gender.NonBinary => "non-binary therapist",
        _ => gender.ToString().ToLowerInvariant(),
    };
}
