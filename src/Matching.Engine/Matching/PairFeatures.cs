using Matching.Engine.Domain;

namespace Matching.Engine.Matching;

/// <summary>The groups pair features fall into. Goals, tasks and bond are Bordin's pillars; the other two are context.</summary>
public enum FeatureGroup
{
    /// <summary>Agreement on goals.</summary>
    Goals,
    /// <summary>Agreement on tasks (methods, modality, structure).</summary>
    Tasks,
    /// <summary>The bond (style, language, culture, identity).</summary>
    Bond,
    /// <summary>The therapist's track record of alliance.</summary>
    TrackRecord,
    /// <summary>Fee and capacity.</summary>
    Logistics,
}

/// <summary>One feature of the schema.</summary>
/// <param name="Name">Stable name, stored with every model.</param>
/// <param name="Group">The pillar or group it belongs to.</param>
public sealed record FeatureDefinition(string Name, FeatureGroup Group);

/// <summary>
/// A therapist's alliance history, summarised from the ratings the service stored. A therapist
/// with no history gets <see cref="None"/>; features then fall back to the population prior (<see cref="AlliancePrior"/>).
/// </summary>
/// <param name="Ratings">Number of alliance ratings.</param>
/// <param name="MeanAlliance">Mean overall normalised alliance (0-1) of those ratings.</param>
/// <param name="ByGoal">Per first-goal domain: ratings and mean alliance.</param>
public sealed record TrackRecord(int Ratings, double MeanAlliance, IReadOnlyDictionary<Goal, (int Ratings, double MeanAlliance)> ByGoal)
{
    /// <summary>No history.</summary>
    public static TrackRecord None { get; } = new(0, 0, new Dictionary<Goal, (int, double)>());

    /// <summary>This record with one more rating (and one more for the client's first goal, when known).</summary>
    public TrackRecord With(Goal? firstGoal, double overall)
    {
        var byGoal = new Dictionary<Goal, (int Ratings, double MeanAlliance)>(ByGoal);
        if (firstGoal is { } goal)
        {
            var (n, mean) = byGoal.GetValueOrDefault(goal);
            byGoal[goal] = (n + 1, ((n * mean) + overall) / (n + 1));
        }

        return new TrackRecord(Ratings + 1, ((Ratings * MeanAlliance) + overall) / (Ratings + 1), byGoal);
    }
}

/// <summary>A therapist who passed the hard constraints, with what the features need beyond the profile.</summary>
/// <param name="Profile">The directory listing.</param>
/// <param name="CapacityLeft">New-client places left this week.</param>
/// <param name="Track">Track record.</param>
public sealed record Candidate(TherapistProfile Profile, int CapacityLeft, TrackRecord Track);

/// <summary>
/// Pure pair features of a client and a therapist, versioned. Every value lies in [0, 1].
/// Preference features are 0.5 (neutral) when the client stated nothing, so a model sees no
/// signal where the client asked for none; importance-weighted matches (culture, gender, faith,
/// identity) are <c>0.5 ± 0.5 × importance</c>, so cultural background counts only when the
/// client says it matters and only towards therapists who list it.
/// </summary>
public static class PairFeatures
{
    /// <summary>Schema version; stored with every model, and a model with another version is not served.</summary>
    public const string SchemaVersion = "pair-features/1";

    /// <summary>The features in order.</summary>
    public static IReadOnlyList<FeatureDefinition> Schema { get; } =
    [
        new("goal_first", FeatureGroup.Goals),
        new("goal_coverage", FeatureGroup.Goals),
        new("modality_fit", FeatureGroup.Tasks),
        new("structure_fit", FeatureGroup.Tasks),
        new("directiveness_fit", FeatureGroup.Bond),
        new("challenge_fit", FeatureGroup.Bond),
        new("first_language", FeatureGroup.Bond),
        new("cultural_match", FeatureGroup.Bond),
        new("gender_match", FeatureGroup.Bond),
        new("faith_match", FeatureGroup.Bond),
        new("identity_match", FeatureGroup.Bond),
        new("track_alliance", FeatureGroup.TrackRecord),
        new("track_volume", FeatureGroup.TrackRecord),
        new("track_goal_alliance", FeatureGroup.TrackRecord),
        new("fee_fit", FeatureGroup.Logistics),
        new("capacity_left", FeatureGroup.Logistics),
    ];

    /// <summary>Number of features.</summary>
    public static int Count => Schema.Count;

    /// <summary>Feature indices, for readable code.</summary>
    public static class Index
    {
#pragma warning disable CS1591 // names mirror Schema
        public const int GoalFirst = 0, GoalCoverage = 1, ModalityFit = 2, StructureFit = 3, DirectivenessFit = 4,
            ChallengeFit = 5, FirstLanguage = 6, CulturalMatch = 7, GenderMatch = 8, FaithMatch = 9, IdentityMatch = 10,
            TrackAlliance = 11, TrackVolume = 12, TrackGoalAlliance = 13, FeeFit = 14, CapacityLeft = 15;
#pragma warning restore CS1591
    }

    /// <summary>
    /// Writes the features of one pair into <paramref name="destination"/> (length <see cref="Count"/>),
    /// track records shrunk towards <paramref name="prior"/>.
    /// </summary>
    public static void Compute(ClientPreferences client, Candidate candidate, AlliancePrior prior, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(candidate);
        if (destination.Length < Count)
        {
            throw new ArgumentException($"Need room for {Count} features.", nameof(destination));
        }

        var t = candidate.Profile;
        destination[Index.GoalFirst] = client.Goals.Count > 0 && t.Specialties.Contains(client.Goals[0]) ? 1f : 0f;
        destination[Index.GoalCoverage] = (float)GoalCoverage(client.Goals, t.Specialties);
        destination[Index.ModalityFit] = (float)ModalityFit(client.Modalities, t.Modalities);
        destination[Index.StructureFit] = (float)AxisFit(client.Style.Structure, t.Style.Structure);
        destination[Index.DirectivenessFit] = (float)AxisFit(client.Style.Directiveness, t.Style.Directiveness);
        destination[Index.ChallengeFit] = (float)AxisFit(client.Style.Challenge, t.Style.Challenge);
        destination[Index.FirstLanguage] = client.Languages.Count > 0 && t.Languages.Contains(client.Languages[0]) ? 1f : 0f;
        destination[Index.CulturalMatch] = client.Culture is { } culture
            ? Weighted(culture.Importance, SharesAny(culture.Backgrounds, t.CulturalCompetencies, t.LivedExperience))
            : 0.5f;
        destination[Index.GenderMatch] = client.Gender is { } gender
            ? Weighted(gender.Importance, gender.Genders.Contains(t.Gender))
            : 0.5f;
        destination[Index.FaithMatch] = client.Faith is { } faith
            ? Weighted(faith.Importance, string.Equals(faith.Faith, t.FaithTradition, StringComparison.Ordinal))
            : 0.5f;
        destination[Index.IdentityMatch] = client.Identity is { } identity
            ? Weighted(identity.Importance, SharesAny(identity.Identities, t.CulturalCompetencies, t.LivedExperience))
            : 0.5f;

        var track = candidate.Track;
        destination[Index.TrackAlliance] = (float)prior.Shrink(track.Ratings, track.MeanAlliance);
        destination[Index.TrackVolume] = Volume(track.Ratings);
        destination[Index.TrackGoalAlliance] = client.Goals.Count > 0 && track.ByGoal.TryGetValue(client.Goals[0], out var byGoal)
            ? (float)prior.Shrink(byGoal.Ratings, byGoal.MeanAlliance)
            : (float)prior.Mean;

        destination[Index.FeeFit] = FeeFit(client.Constraints, t.Fee);
        destination[Index.CapacityLeft] = CapacityFit(candidate.CapacityLeft, t.WeeklyNewClientCapacity);
    }

    // Fee against the budget: 1 when insured, 0.5 with no budget stated.
    private static float FeeFit(HardConstraints c, decimal fee) =>
        c.Insurance is not null ? 1f
        : c.MaxFee is { } max && max > 0 ? (float)Math.Clamp(1.0 - (double)(fee / max), 0.0, 1.0)
        : 0.5f;

    private static float CapacityFit(int left, int weekly) =>
        weekly > 0 ? (float)Math.Clamp(left / (double)weekly, 0.0, 1.0) : 0f;

    /// <summary>
    /// Writes the features of the therapists in <paramref name="slots"/> of a directory, row after
    /// row, from the directory's bitsets and precomputed track records: value for value what
    /// <see cref="Compute(ClientPreferences, Candidate, AlliancePrior, Span{float})"/> gives for each
    /// pair with the directory's <see cref="TherapistDirectory.Prior"/> (the same arithmetic in the
    /// same order), at a fraction of the cost per therapist.
    /// </summary>
    internal static void Compute(ClientPreferences client, TherapistDirectory directory, ReadOnlySpan<int> slots, Span<float> destination)
    {
        var goalSets = new ulong[]?[client.Goals.Count];
        double goalTotal = 0;
        for (var i = 0; i < goalSets.Length; i++)
        {
            goalSets[i] = directory.Set(Attr.Coded(AttrKind.Specialty, (int)client.Goals[i]));
            goalTotal += 1.0 / (i + 1);
        }

        var modalitySets = new ulong[]?[client.Modalities.Count];
        double modalityTotal = 0, strongest = 0;
        for (var i = 0; i < modalitySets.Length; i++)
        {
            var p = client.Modalities[i];
            var strength = (int)p.Strength / 3.0;
            modalityTotal += strength;
            strongest = Math.Max(strongest, strength);
            modalitySets[i] = directory.Set(Attr.Coded(AttrKind.Modality, (int)p.Modality));
        }

        var firstLanguage = client.Languages.Count > 0 ? directory.Set(Attr.Tagged(AttrKind.Language, client.Languages[0])) : null;
        var culture = WeightedMatch.Of(directory, client.Culture?.Importance, client.Culture?.Backgrounds, t => Attr.Tagged(AttrKind.CultureTag, t));
        var gender = WeightedMatch.Of(directory, client.Gender?.Importance, client.Gender?.Genders, g => Attr.Coded(AttrKind.Gender, (int)g));
        var faith = WeightedMatch.Of<string>(directory, client.Faith?.Importance, client.Faith is { } f ? [f.Faith] : null, t => Attr.Tagged(AttrKind.Faith, t));
        var identity = WeightedMatch.Of(directory, client.Identity?.Importance, client.Identity?.Identities, t => Attr.Tagged(AttrKind.CultureTag, t));
        var style = client.Style;
        var c = client.Constraints;
        var n = Count;
        var noGoal = (float)directory.Prior.Mean;
        for (var r = 0; r < slots.Length; r++)
        {
            var slot = slots[r];
            var entry = directory.Entry(slot);
            var row = destination.Slice(r * n, n);
            row[Index.GoalFirst] = goalSets.Length > 0 && Has(goalSets[0], slot) ? 1f : 0f;
            double covered = 0;
            for (var i = 0; i < goalSets.Length; i++)
            {
                if (Has(goalSets[i], slot))
                {
                    covered += 1.0 / (i + 1);
                }
            }

            row[Index.GoalCoverage] = (float)(goalTotal == 0 ? 0 : covered / goalTotal);
            if (modalitySets.Length == 0)
            {
                row[Index.ModalityFit] = 0.5f;
            }
            else
            {
                double met = 0;
                for (var i = 0; i < modalitySets.Length; i++)
                {
                    if (Has(modalitySets[i], slot))
                    {
                        met += (int)client.Modalities[i].Strength / 3.0;
                    }
                }

                row[Index.ModalityFit] = (float)(0.5 + (0.5 * ((2 * met / modalityTotal) - 1) * strongest));
            }

            row[Index.StructureFit] = (float)AxisFit(style.Structure, entry.Structure);
            row[Index.DirectivenessFit] = (float)AxisFit(style.Directiveness, entry.Directiveness);
            row[Index.ChallengeFit] = (float)AxisFit(style.Challenge, entry.Challenge);
            row[Index.FirstLanguage] = Has(firstLanguage, slot) ? 1f : 0f;
            row[Index.CulturalMatch] = culture.Feature(slot);
            row[Index.GenderMatch] = gender.Feature(slot);
            row[Index.FaithMatch] = faith.Feature(slot);
            row[Index.IdentityMatch] = identity.Feature(slot);
            row[Index.TrackAlliance] = entry.TrackAlliance;
            row[Index.TrackVolume] = entry.TrackVolume;
            row[Index.TrackGoalAlliance] = client.Goals.Count > 0 ? entry.TrackByGoal[(int)client.Goals[0]] : noGoal;
            row[Index.FeeFit] = FeeFit(c, entry.Fee);
            row[Index.CapacityLeft] = CapacityFit(entry.CapacityLeft, entry.Weekly);
        }
    }

    private static bool Has(ulong[]? set, int slot) => set is not null && Bits.Test(set, slot);

    /// <summary>An importance-weighted match feature for one request: the sets of what the client named, and the two values.</summary>
    private readonly struct WeightedMatch
    {
        private readonly ulong[]?[]? _sets;
        private readonly float _yes;
        private readonly float _no;

        private WeightedMatch(ulong[]?[]? sets, float yes, float no)
        {
            _sets = sets;
            _yes = yes;
            _no = no;
        }

        public static WeightedMatch Of<T>(TherapistDirectory directory, Importance? importance, IReadOnlyList<T>? wanted, Func<T, Attr> attribute) =>
            importance is not { } i || wanted is null
                ? new WeightedMatch(null, 0.5f, 0.5f)
                : new WeightedMatch(wanted.Select(w => directory.Set(attribute(w))).ToArray(), Weighted(i, true), Weighted(i, false));

        public float Feature(int slot)
        {
            if (_sets is null)
            {
                return 0.5f;
            }

            foreach (var set in _sets)
            {
                if (Has(set, slot))
                {
                    return _yes;
                }
            }

            return _no;
        }
    }

    /// <summary>Share of the client's goals the therapist specialises in, weighted 1, 1/2, 1/3... by the client's order.</summary>
    public static double GoalCoverage(IReadOnlyList<Goal> goals, IReadOnlyList<Goal> specialties)
    {
        ArgumentNullException.ThrowIfNull(goals);
        ArgumentNullException.ThrowIfNull(specialties);
        double covered = 0, total = 0;
        for (var i = 0; i < goals.Count; i++)
        {
            var w = 1.0 / (i + 1);
            total += w;
            if (specialties.Contains(goals[i]))
            {
                covered += w;
            }
        }

        return total == 0 ? 0 : covered / total;
    }

    /// <summary>
    /// Strength-weighted share of preferred modalities offered, stretched around the neutral 0.5
    /// by the strongest preference: a strong preference met gives 1, a strong one unmet 0.
    /// </summary>
    public static double ModalityFit(IReadOnlyList<ModalityPreference> preferences, IReadOnlyList<Modality> offered)
    {
        ArgumentNullException.ThrowIfNull(preferences);
        ArgumentNullException.ThrowIfNull(offered);
        if (preferences.Count == 0)
        {
            return 0.5;
        }

        double met = 0, total = 0, strongest = 0;
        foreach (var p in preferences)
        {
            var s = (int)p.Strength / 3.0;
            total += s;
            strongest = Math.Max(strongest, s);
            if (offered.Contains(p.Modality))
            {
                met += s;
            }
        }

        return 0.5 + 0.5 * (2 * met / total - 1) * strongest;
    }

    /// <summary>1 minus the distance between a stated target and the therapist's style; 0.5 when nothing was stated.</summary>
    public static double AxisFit(double? preferred, double actual) =>
        preferred is { } p ? 1.0 - Math.Abs(p - actual) : 0.5;

    private static float Weighted(Importance importance, bool match) =>
        (float)(0.5 + 0.5 * importance.Weight() * (match ? 1 : -1));

    /// <summary>The track-volume feature of <paramref name="ratings"/> ratings.</summary>
    internal static float Volume(int ratings) => (float)Math.Min(1.0, Math.Log(1 + ratings) / Math.Log(101));

    private static bool SharesAny(IReadOnlyList<string> wanted, IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        HardConstraintFilter.SharesAny(a, wanted) || HardConstraintFilter.SharesAny(b, wanted);
}
