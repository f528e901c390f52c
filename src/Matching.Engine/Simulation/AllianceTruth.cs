using Matching.Engine.Domain;
using static Matching.Engine.Simulation.SimulationVocabulary;

namespace Matching.Engine.Simulation;

/// <summary>
/// The hidden truth of a simulated world: the latent early alliance of any client with any
/// therapist, per the generative model of the science page,
/// <code>
/// A_ij = mu + tau_ij + gamma_i
///        + 0.30 goal_match + 0.30 has_modality_pref * modality_match
///        + 0.15 (-reactance * directiveness) + (0.30 | 0.05) cultural_match
///        + 0.50 limited_english * language_match + delta_ij
/// </code>
/// with every match term centred on its mean over all client-therapist pairs of the world.
/// The match terms are defined here and nowhere else on purpose: the learned model's features
/// are written independently, so that evaluating them against this truth is a fair test.
/// Nothing is stored per pair: the dyad term delta is drawn from a hash of (seed, client,
/// therapist), so the truth of every pair is available without a matrix. Immutable and thread-safe.
/// </summary>
public sealed class AllianceTruth
{
    /// <summary>
    /// Grand mean of the latent alliance. Calibrated: the science page leaves mu open, and only
    /// dropout depends on it (ratings are standardised), so it is set to give the page's ~20%
    /// dropout with its intercept of -1.47 among the matches clients actually choose.
    /// </summary>
    public const double Mu = 0.20;

    /// <summary>Variance of a therapist's general effect (the rest of tau's .08 is domain-specific).</summary>
    public const double TherapistVariance = 0.06;

    /// <summary>Variance of each per-goal domain effect; weighted by goal order it adds about .02 to tau.</summary>
    public const double DomainEffectVariance = 0.03;

    /// <summary>Variance of the client main effect gamma.</summary>
    public const double ClientVariance = 0.68;

    /// <summary>Variance of the dyad term delta, the chemistry no feature sees.</summary>
    public const double DyadVariance = 0.15;

    /// <summary>Weight of goal agreement (Bordin's goal pillar).</summary>
    public const double GoalWeight = 0.30;

    /// <summary>Weight of getting a preferred modality (task pillar; only for clients with a preference).</summary>
    public const double ModalityWeight = 0.30;

    /// <summary>Weight of the reactance by directiveness interaction (bond; Beutler et al. 2018).</summary>
    public const double StyleWeight = 0.15;

    /// <summary>Weight of a cultural match for a client who wants one.</summary>
    public const double CulturalWeightWanted = 0.30;

    /// <summary>Weight of a cultural match for a client who does not particularly want one.</summary>
    public const double CulturalWeightNotWanted = 0.05;

    /// <summary>Weight of therapy in the first language for a client with limited English.</summary>
    public const double LanguageWeight = 0.50;

    /// <summary>Credit for a therapist listing a background as a competency only, against 1 for lived experience.</summary>
    public const double CompetencyCredit = 0.6;

    private readonly TruthTherapist[] _therapists;
    private readonly TruthClient[] _clients;
    private readonly Dictionary<string, int> _therapistIndex;
    private readonly Dictionary<string, int> _clientIndex;

    internal AllianceTruth(int seed, TruthTherapist[] therapists, TruthClient[] clients, TruthMoments? moments = null)
    {
        Seed = seed;
        _therapists = therapists;
        _clients = clients;
        _therapistIndex = new Dictionary<string, int>(therapists.Length, StringComparer.Ordinal);
        for (var j = 0; j < therapists.Length; j++)
        {
            _therapistIndex.Add(therapists[j].Id, j);
        }

        _clientIndex = new Dictionary<string, int>(clients.Length, StringComparer.Ordinal);
        for (var i = 0; i < clients.Length; i++)
        {
            _clientIndex.Add(clients[i].Id, i);
        }

        Moments = moments ?? ComputeMoments();
    }

    /// <summary>Builds the truth of a world from its profiles and latent traits (same order, same length).</summary>
    /// <param name="seed">Seed of the world; keys the dyad terms.</param>
    /// <param name="therapists">Therapist profiles.</param>
    /// <param name="therapistLatents">Their latent traits.</param>
    /// <param name="clients">Client requests.</param>
    /// <param name="clientLatents">Their latent traits.</param>
    public static AllianceTruth Create(
        int seed,
        IReadOnlyList<TherapistProfile> therapists,
        IReadOnlyList<TherapistLatent> therapistLatents,
        IReadOnlyList<ClientPreferences> clients,
        IReadOnlyList<ClientLatent> clientLatents)
    {
        ArgumentNullException.ThrowIfNull(therapists);
        ArgumentNullException.ThrowIfNull(therapistLatents);
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(clientLatents);
        if (therapists.Count != therapistLatents.Count || clients.Count != clientLatents.Count)
        {
            throw new ArgumentException("Every therapist and client needs exactly one latent record.");
        }

        var t = new TruthTherapist[therapists.Count];
        for (var j = 0; j < t.Length; j++)
        {
            t[j] = TruthTherapist.From(therapists[j], therapistLatents[j]);
        }

        var c = new TruthClient[clients.Count];
        for (var i = 0; i < c.Length; i++)
        {
            c[i] = TruthClient.From(clients[i], clientLatents[i]);
        }

        return new AllianceTruth(seed, t, c);
    }

    /// <summary>Seed of the world; with the client and therapist indices it keys the dyad terms.</summary>
    public int Seed { get; }

    /// <summary>Number of therapists.</summary>
    public int TherapistCount => _therapists.Length;

    /// <summary>Number of clients.</summary>
    public int ClientCount => _clients.Length;

    /// <summary>Options of the run that made this world, when it came from <see cref="Simulator.Run"/>.</summary>
    public SimulationOptions? Options { get; internal init; }

    /// <summary>Name of the logging policy of that run.</summary>
    public string? PolicyName { get; internal init; }

    /// <summary>Means of the match terms and of the alliance over the world's client-therapist pairs.</summary>
    public TruthMoments Moments { get; }

    internal ReadOnlySpan<TruthTherapist> Therapists => _therapists;

    internal ReadOnlySpan<TruthClient> Clients => _clients;

    /// <summary>Index of a therapist id, or -1 when the world has no such therapist.</summary>
    public int IndexOfTherapist(string therapistId) => _therapistIndex.GetValueOrDefault(therapistId, -1);

    /// <summary>Index of a client id, or -1 when the world has no such client.</summary>
    public int IndexOfClient(string clientId) => _clientIndex.GetValueOrDefault(clientId, -1);

    /// <summary>Latent early alliance A_ij (variance about 1) of a client with a therapist, by index.</summary>
    public double TrueAlliance(int client, int therapist) =>
        Mu + _clients[client].Gamma + Rankable(client, therapist) + Dyad(client, therapist);

    /// <summary>Latent early alliance by ids.</summary>
    /// <exception cref="KeyNotFoundException">An id the world does not have.</exception>
    public double TrueAlliance(string clientId, string therapistId) => TrueAlliance(ClientIndexOrThrow(clientId), TherapistIndexOrThrow(therapistId));

    /// <summary>Latent early alliance of a client and a therapist of this world.</summary>
    /// <exception cref="KeyNotFoundException">A client or therapist the world does not have.</exception>
    public double TrueAlliance(ClientPreferences client, TherapistProfile therapist)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(therapist);
        return TrueAlliance(client.ClientId, therapist.Id);
    }

    /// <summary>
    /// The part of the alliance a ranker can capture at best: therapist effect plus fit, without
    /// the client effect (constant across therapists) and the dyad term (its noise floor).
    /// </summary>
    public double Rankable(int client, int therapist) => TherapistEffect(client, therapist) + Fit(client, therapist);

    /// <summary>Therapist effect for this client: the general effect plus the goal-weighted domain effects.</summary>
    public double TherapistEffect(int client, int therapist)
    {
        ref readonly var t = ref _therapists[therapist];
        var goals = _clients[client].Goals;
        var effect = t.Tau;
        for (var k = 0; k < goals.Length; k++)
        {
            effect += GoalOrderWeight(k, goals.Length) * t.DomainEffects[(int)goals[k]];
        }

        return effect;
    }

    /// <summary>Hidden effectiveness of a therapist in one problem domain (the Match trial's track record), excluding the general effect.</summary>
    public double DomainEffect(int therapist, Goal goal) => _therapists[therapist].DomainEffects[(int)goal];

    /// <summary>General effect tau of a therapist.</summary>
    public double TherapistMainEffect(int therapist) => _therapists[therapist].Tau;

    /// <summary>Client main effect gamma.</summary>
    public double ClientEffect(int client) => _clients[client].Gamma;

    /// <summary>The centred client-therapist fit: the sum of the weighted match terms.</summary>
    public double Fit(int client, int therapist) => FitWith(Moments, client, therapist);

    /// <summary>Dyad term delta_ij ~ N(0, .15), a pure function of (seed, client, therapist).</summary>
    public double Dyad(int client, int therapist) =>
        Math.Sqrt(DyadVariance) * SimulationRandom.NormalFromHash(SimulationRandom.Hash(Seed, Streams.Dyad, client, therapist));

    private int ClientIndexOrThrow(string id) =>
        _clientIndex.TryGetValue(id, out var i) ? i : throw new KeyNotFoundException($"No client {id} in this world.");

    private int TherapistIndexOrThrow(string id) =>
        _therapistIndex.TryGetValue(id, out var j) ? j : throw new KeyNotFoundException($"No therapist {id} in this world.");

    /// <summary>
    /// The uncentred match terms. Cultural already carries its wanted/not-wanted weight because
    /// the weight differs per client, so centring the weighted term keeps the sum centred.
    /// </summary>
    internal static (double Goal, double Modality, double Style, double Culture, double Language) RawTerms(in TruthClient c, in TruthTherapist t)
    {
        // Goal agreement: the client's goals, weighted by their order, that the therapist specialises in.
        var goal = 0.0;
        for (var k = 0; k < c.Goals.Length; k++)
        {
            if ((t.Specialties & (1 << (int)c.Goals[k])) != 0)
            {
                goal += GoalOrderWeight(k, c.Goals.Length);
            }
        }

        // Modality: share of the preference strength the therapist can honour; zero without a preference.
        var modality = 0.0;
        if (c.ModalityStrengthTotal > 0)
        {
            for (var k = 0; k < c.PreferredModalities.Length; k++)
            {
                if ((t.Modalities & (1 << (int)c.PreferredModalities[k])) != 0)
                {
                    modality += c.PreferredStrengths[k];
                }
            }

            modality /= c.ModalityStrengthTotal;
        }

        // Directiveness is centred on the middle of its scale so the interaction has no main effect of directiveness.
        var style = -c.Reactance * (t.Directiveness - 0.5);

        var culture = 0.0;
        if (c.Backgrounds != 0)
        {
            var n = 0;
            var credit = 0.0;
            for (var b = c.Backgrounds; b != 0; b &= b - 1)
            {
                var bit = b & -b;
                n++;
                credit += (t.Lived & bit) != 0 ? 1.0 : (t.Competent & bit) != 0 ? CompetencyCredit : 0.0;
            }

            culture = (c.WantsCulturalMatch ? CulturalWeightWanted : CulturalWeightNotWanted) * credit / n;
        }

        var language = c.LimitedEnglish && c.FirstLanguage >= 0 && (t.Languages & (1 << c.FirstLanguage)) != 0 ? 1.0 : 0.0;
        return (goal, modality, style, culture, language);
    }

    private TruthMoments ComputeMoments()
    {
        if (_clients.Length == 0 || _therapists.Length == 0)
        {
            return new TruthMoments(0, 0, 0, 0, 0, Mu, 1.0);
        }

        // Every pair when the world is small, otherwise a fixed-size deterministic sample: the
        // means only need to be stable to a few thousandths.
        var total = (long)_clients.Length * _therapists.Length;
        var samples = (int)Math.Min(total, 200_000);
        var rng = SimulationRandom.For(Seed, Streams.Centring, 0);
        double g = 0, m = 0, s = 0, cu = 0, l = 0;
        var pairs = new (int Client, int Therapist)[samples];
        for (var k = 0; k < samples; k++)
        {
            var (i, j) = samples == total
                ? ((int)(k / _therapists.Length), (int)(k % _therapists.Length))
                : (rng.NextInt(_clients.Length), rng.NextInt(_therapists.Length));
            pairs[k] = (i, j);
            var raw = RawTerms(in _clients[i], in _therapists[j]);
            g += raw.Goal;
            m += raw.Modality;
            s += raw.Style;
            cu += raw.Culture;
            l += raw.Language;
        }

        var partial = new TruthMoments(g / samples, m / samples, s / samples, cu / samples, l / samples, Mu, 1.0);

        // Mean and variance of the alliance over the same pairs, for standardising observed scores.
        double sum = 0, sumSq = 0;
        foreach (var (i, j) in pairs)
        {
            var a = Mu + _clients[i].Gamma + TherapistEffect(i, j) + FitWith(partial, i, j) + Dyad(i, j);
            sum += a;
            sumSq += a * a;
        }

        var mean = sum / samples;
        var variance = Math.Max(sumSq / samples - mean * mean, 1e-9);
        return partial with { AllianceMean = mean, AllianceVariance = variance };
    }

    private double FitWith(TruthMoments m, int client, int therapist)
    {
        var raw = RawTerms(in _clients[client], in _therapists[therapist]);
        return GoalWeight * (raw.Goal - m.GoalMatch)
            + ModalityWeight * (raw.Modality - m.ModalityMatch)
            + StyleWeight * (raw.Style - m.StyleFit)
            + (raw.Culture - m.CulturalMatch)
            + LanguageWeight * (raw.Language - m.LanguageMatch);
    }
}

/// <summary>Population means the match terms are centred on, and the alliance's mean and variance over all pairs.</summary>
/// <param name="GoalMatch">Mean goal match.</param>
/// <param name="ModalityMatch">Mean of has_modality_pref * modality_match.</param>
/// <param name="StyleFit">Mean of -reactance * (directiveness - .5).</param>
/// <param name="CulturalMatch">Mean of the weighted cultural match.</param>
/// <param name="LanguageMatch">Mean of limited_english * language_match.</param>
/// <param name="AllianceMean">Mean latent alliance over all pairs.</param>
/// <param name="AllianceVariance">Variance of the latent alliance over all pairs.</param>
public sealed record TruthMoments(
    double GoalMatch,
    double ModalityMatch,
    double StyleFit,
    double CulturalMatch,
    double LanguageMatch,
    double AllianceMean,
    double AllianceVariance);

/// <summary>What the truth needs of a therapist, packed for speed.</summary>
internal readonly record struct TruthTherapist(
    string Id,
    double Tau,
    double[] DomainEffects,
    int Specialties,
    int Modalities,
    double Directiveness,
    int Lived,
    int Competent,
    int Languages)
{
    internal static TruthTherapist From(TherapistProfile p, TherapistLatent latent)
    {
        if (latent.DomainEffects.Count != GoalCount)
        {
            throw new ArgumentException($"A therapist needs {GoalCount} domain effects.", nameof(latent));
        }

        var specialties = 0;
        foreach (var g in p.Specialties)
        {
            specialties |= 1 << (int)g;
        }

        var modalities = 0;
        foreach (var m in p.Modalities)
        {
            modalities |= 1 << (int)m;
        }

        return new TruthTherapist(
            p.Id,
            latent.Tau,
            [.. latent.DomainEffects],
            specialties,
            modalities,
            p.Style.Directiveness,
            CultureMask(p.LivedExperience),
            CultureMask(p.CulturalCompetencies),
            LanguageMask(p.Languages));
    }

    internal static int CultureMask(IEnumerable<string> tags)
    {
        var mask = 0;
        foreach (var tag in tags)
        {
            mask |= CultureBit(tag);
        }

        return mask;
    }

    internal static int LanguageMask(IEnumerable<string> codes)
    {
        var mask = 0;
        foreach (var code in codes)
        {
            var i = LanguageIndex(code);
            if (i >= 0)
            {
                mask |= 1 << i;
            }
        }

        return mask;
    }
}

/// <summary>What the truth needs of a client, packed for speed.</summary>
internal readonly record struct TruthClient(
    string Id,
    double Gamma,
    double Reactance,
    bool LimitedEnglish,
    bool WantsCulturalMatch,
    Goal[] Goals,
    Modality[] PreferredModalities,
    int[] PreferredStrengths,
    int FirstLanguage,
    int Backgrounds)
{
    internal int ModalityStrengthTotal
    {
        get
        {
            var total = 0;
            foreach (var s in PreferredStrengths)
            {
                total += s;
            }

            return total;
        }
    }

    internal static TruthClient From(ClientPreferences c, ClientLatent latent) => new(
        c.ClientId,
        latent.Gamma,
        latent.Reactance,
        latent.LimitedEnglish,
        latent.WantsCulturalMatch,
        [.. c.Goals],
        [.. c.Modalities.Select(m => m.Modality)],
        [.. c.Modalities.Select(m => (int)m.Strength)],
        c.Languages.Count > 0 ? LanguageIndex(c.Languages[0]) : -1,
        c.Culture is null ? 0 : TruthTherapist.CultureMask(c.Culture.Backgrounds));
}
