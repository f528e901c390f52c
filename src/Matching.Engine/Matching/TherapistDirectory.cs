using Matching.Engine.Domain;

namespace Matching.Engine.Matching;

/// <summary>
/// An immutable, indexed view of the directory that a match reads without locks: each therapist
/// has a slot, and every attribute a hard constraint or a pair feature asks about (region, city,
/// video, language, insurer, age group, availability, specialty, modality, gender, faith,
/// cultural and identity tags) has a bitset over the slots, so a client's constraints are a few
/// word-wise intersections and its features are bit tests. Changes go through a
/// <see cref="Builder"/>, which copies only the slot chunks and bitsets a change touches and
/// publishes a new directory; readers holding the old one are unaffected.
/// </summary>
public sealed class TherapistDirectory
{
    internal const int ChunkShift = 10;
    internal const int ChunkSize = 1 << ChunkShift;

    private readonly DirectoryEntry?[][] _chunks;
    private readonly Dictionary<string, int> _slots;
    private readonly Dictionary<Attr, ulong[]> _index;
    private readonly ulong[] _listed;
    private readonly ulong[] _open;
    private readonly CapacityPrices _prices;

    private TherapistDirectory(DirectoryEntry?[][] chunks, int count, Dictionary<string, int> slots, Dictionary<Attr, ulong[]> index, ulong[] listed, ulong[] open, DateTimeOffset weekStart, AlliancePrior prior, CapacityPrices prices)
    {
        Prior = prior;
        _prices = prices;
        _chunks = chunks;
        SlotCount = count;
        _slots = slots;
        _index = index;
        _listed = listed;
        _open = open;
        WeekStart = weekStart;
        ListedCount = Bits.Count(listed);
    }

    /// <summary>Monday 00:00 UTC of the week whose new-client capacity the slots count.</summary>
    public DateTimeOffset WeekStart { get; }

    /// <summary>
    /// The population prior the track-record features of this directory are shrunk towards. It is
    /// fixed for a directory and its builders (a rating added one by one does not move it); a full
    /// build from the database measures it again.
    /// </summary>
    public AlliancePrior Prior { get; }

    /// <summary>Therapists listed (matched).</summary>
    public int ListedCount { get; }

    /// <summary>Slots in use, listed or not (an unlisted therapist keeps its slot until the next full build).</summary>
    public int SlotCount { get; }

    internal int Words => _listed.Length;

    internal ulong[] ListedSet => _listed;

    internal ulong[] OpenSet => _open;

    /// <summary>
    /// Capacity prices per slot (a slot beyond the array has price 0), in the score units of the
    /// model they were solved for; the match path subtracts them only when that model ranks.
    /// </summary>
    internal CapacityPrices Prices => _prices;

    /// <summary>The model version the capacity prices were solved for, or null when there are none.</summary>
    public string? PricesModelVersion => _prices.ModelVersion;

    /// <summary>When the capacity prices were solved, or null when there are none.</summary>
    public DateTimeOffset? PricesSolvedAt => _prices.SolvedAt;

    /// <summary>The listed therapists, in slot order (for reports; the match path reads the bitsets).</summary>
    public IEnumerable<Candidate> ListedCandidates()
    {
        for (var slot = 0; slot < SlotCount; slot++)
        {
            if (Bits.Test(_listed, slot))
            {
                yield return Entry(slot).Candidate;
            }
        }
    }

    /// <summary>The therapist's capacity price (0 when none was solved or the therapist is unknown).</summary>
    public double PriceOf(string id) => _slots.TryGetValue(id, out var slot) ? _prices.At(slot) : 0;

    /// <summary>An empty directory for the week starting at <paramref name="weekStart"/>, with the given prior.</summary>
    public static TherapistDirectory Empty(DateTimeOffset weekStart, AlliancePrior prior) =>
        new([], 0, new Dictionary<string, int>(StringComparer.Ordinal), [], [], [], weekStart, prior, CapacityPrices.None);

    /// <summary>
    /// Builds a directory of listed therapists, each with its capacity left this week and its track
    /// record, with the prior measured on those track records (<see cref="AlliancePrior.Of"/>).
    /// </summary>
    public static TherapistDirectory Create(IReadOnlyCollection<Candidate> listed, DateTimeOffset weekStart)
    {
        ArgumentNullException.ThrowIfNull(listed);
        return Create(listed, weekStart, AlliancePrior.Of(listed.Select(c => c.Track)));
    }

    /// <summary>
    /// Builds a directory of listed therapists with a prior measured elsewhere (the service
    /// measures it on every stored rating, unlisted therapists' included).
    /// </summary>
    public static TherapistDirectory Create(IEnumerable<Candidate> listed, DateTimeOffset weekStart, AlliancePrior prior)
    {
        ArgumentNullException.ThrowIfNull(listed);
        var builder = Empty(weekStart, prior).ToBuilder();
        foreach (var c in listed)
        {
            builder.Set(c.Profile, true, c.Profile.WeeklyNewClientCapacity - c.CapacityLeft, c.Track);
        }

        return builder.ToDirectory();
    }

    /// <summary>A builder that starts from this directory.</summary>
    public Builder ToBuilder() => new(this);

    /// <summary>Whether the therapist is listed here.</summary>
    public bool IsListed(string id) => _slots.TryGetValue(id, out var slot) && Bits.Test(_listed, slot);

    /// <summary>The therapist as this directory holds it (listed or not), or null.</summary>
    public Candidate? Find(string id) => _slots.TryGetValue(id, out var slot) ? Entry(slot).Candidate : null;

    internal DirectoryEntry Entry(int slot) => _chunks[slot >> ChunkShift][slot & (ChunkSize - 1)]!;

    internal ulong[]? Set(Attr attribute) => _index.GetValueOrDefault(attribute);

    /// <summary>
    /// Changes a directory copy-on-write: the first change to a slot chunk, a bitset or the id map
    /// copies it; later changes in the same builder write in place. <see cref="ToDirectory"/>
    /// publishes the result, and the builder may go on from there.
    /// </summary>
    public sealed class Builder
    {
        private readonly HashSet<object> _owned = new(ReferenceEqualityComparer.Instance);
        private DirectoryEntry?[][] _chunks;
        private int _count;
        private Dictionary<string, int> _slots;
        private Dictionary<Attr, ulong[]> _index;
        private ulong[] _listed;
        private ulong[] _open;
        private CapacityPrices _prices;

        internal Builder(TherapistDirectory from)
        {
            _prices = from._prices;
            _chunks = from._chunks;
            _count = from.SlotCount;
            _slots = from._slots;
            _index = from._index;
            _listed = from._listed;
            _open = from._open;
            WeekStart = from.WeekStart;
            Prior = from.Prior;
        }

        /// <summary>The prior of the directory this builder started from; every entry it writes is shrunk towards it.</summary>
        public AlliancePrior Prior { get; }

        /// <summary>The week whose capacity the slots count.</summary>
        public DateTimeOffset WeekStart { get; private set; }

        /// <summary>Lists or unlists a therapist with this profile, keeping its capacity used this week and its track record.</summary>
        public void SetListing(TherapistProfile profile, bool listed)
        {
            ArgumentNullException.ThrowIfNull(profile);
            var old = _slots.TryGetValue(profile.Id, out var slot) ? Entry(slot) : null;
            var used = old is null ? 0 : old.Candidate.Profile.WeeklyNewClientCapacity - old.Candidate.CapacityLeft;
            Set(profile, listed, used, old?.Candidate.Track ?? TrackRecord.None);
        }

        /// <summary>Whether the therapist has a slot (listed or not).</summary>
        public bool Contains(string id) => _slots.ContainsKey(id);

        /// <summary>Sets a therapist's profile, listing, places used this week and track record.</summary>
        public void Set(TherapistProfile profile, bool listed, int usedThisWeek, TrackRecord track)
        {
            ArgumentNullException.ThrowIfNull(profile);
            ArgumentNullException.ThrowIfNull(track);
            if (!_slots.TryGetValue(profile.Id, out var slot))
            {
                slot = AddSlot(profile.Id);
            }

            var old = Entry(slot);
            var attributes = Attr.Of(profile);
            if (old is not null)
            {
                foreach (var a in old.Attributes)
                {
                    if (Array.IndexOf(attributes, a) < 0)
                    {
                        Bits.Clear(OwnedSet(a), slot);
                    }
                }
            }

            foreach (var a in attributes)
            {
                if (old is null || Array.IndexOf(old.Attributes, a) < 0)
                {
                    Bits.Set(OwnedSet(a), slot);
                }
            }

            var entry = new DirectoryEntry(new Candidate(profile, profile.WeeklyNewClientCapacity - usedThisWeek, track), attributes, Prior);
            Put(slot, entry);
            _listed = Own(_listed);
            Bits.Assign(_listed, slot, listed);
            UpdateOpen(slot, entry);
        }

        /// <summary>Counts a new client of the therapist this week; false when the therapist has no slot.</summary>
        public bool UseCapacity(string id)
        {
            if (!_slots.TryGetValue(id, out var slot))
            {
                return false;
            }

            var old = Entry(slot)!;
            var entry = old.With(old.Candidate with { CapacityLeft = old.Candidate.CapacityLeft - 1 });
            Put(slot, entry);
            UpdateOpen(slot, entry);
            return true;
        }

        /// <summary>Adds an alliance rating to the therapist's track record (and to its record for the client's first goal).</summary>
        public bool AddRating(string id, Goal? firstGoal, double overall)
        {
            if (!_slots.TryGetValue(id, out var slot))
            {
                return false;
            }

            var old = Entry(slot)!;
            Put(slot, new DirectoryEntry(old.Candidate with { Track = old.Candidate.Track.With(firstGoal, overall) }, old.Attributes, Prior));
            return true;
        }

        /// <summary>Starts a new week: every therapist's weekly places are free again. Earlier weeks are ignored.</summary>
        public void RollOver(DateTimeOffset weekStart)
        {
            if (weekStart <= WeekStart)
            {
                return;
            }

            WeekStart = weekStart;
            for (var slot = 0; slot < _count; slot++)
            {
                var old = Entry(slot)!;
                var weekly = old.Candidate.Profile.WeeklyNewClientCapacity;
                if (old.Candidate.CapacityLeft != weekly)
                {
                    var entry = old.With(old.Candidate with { CapacityLeft = weekly });
                    Put(slot, entry);
                    UpdateOpen(slot, entry);
                }
            }
        }

        /// <summary>Publishes the changes as an immutable directory; later changes copy again.</summary>
        public TherapistDirectory ToDirectory()
        {
            _owned.Clear();
            return new TherapistDirectory(_chunks, _count, _slots, _index, _listed, _open, WeekStart, Prior, _prices);
        }

        /// <summary>
        /// Replaces every capacity price at once (solved off the request path for one model); a
        /// therapist not in <paramref name="byTherapist"/> gets 0. Prices must be finite and not negative.
        /// </summary>
        /// <param name="modelVersion">The model whose score units the prices are in.</param>
        /// <param name="byTherapist">Price by therapist id.</param>
        /// <param name="solvedAt">When they were solved.</param>
        public void SetPrices(string modelVersion, IReadOnlyDictionary<string, double> byTherapist, DateTimeOffset solvedAt)
        {
            ArgumentException.ThrowIfNullOrEmpty(modelVersion);
            ArgumentNullException.ThrowIfNull(byTherapist);
            var prices = new double[_count];
            var any = false;
            foreach (var (id, price) in byTherapist)
            {
                if (!double.IsFinite(price) || price < 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(byTherapist), price, $"The price of {id} must be finite and not negative.");
                }

                if (_slots.TryGetValue(id, out var slot))
                {
                    prices[slot] = price;
                    any |= price > 0;
                }
            }

            _prices = new CapacityPrices(modelVersion, solvedAt, prices, any);
        }

        /// <summary>Removes every capacity price.</summary>
        public void ClearPrices() => _prices = CapacityPrices.None;

        private DirectoryEntry? Entry(int slot) => _chunks[slot >> ChunkShift][slot & (ChunkSize - 1)];

        private void Put(int slot, DirectoryEntry entry)
        {
            if (!_owned.Contains(_chunks))
            {
                _chunks = (DirectoryEntry?[][])_chunks.Clone();
                _owned.Add(_chunks);
            }

            var c = slot >> ChunkShift;
            if (!_owned.Contains(_chunks[c]))
            {
                _chunks[c] = (DirectoryEntry?[])_chunks[c].Clone();
                _owned.Add(_chunks[c]);
            }

            _chunks[c][slot & (ChunkSize - 1)] = entry;
        }

        private void UpdateOpen(int slot, DirectoryEntry entry)
        {
            var open = entry.Candidate.Profile.AcceptingNewClients && entry.Candidate.CapacityLeft > 0;
            if (Bits.Test(_open, slot) != open)
            {
                _open = Own(_open);
                Bits.Assign(_open, slot, open);
            }
        }

        private int AddSlot(string id)
        {
            if (!_owned.Contains(_slots))
            {
                _slots = new Dictionary<string, int>(_slots, StringComparer.Ordinal);
                _owned.Add(_slots);
            }

            var slot = _count++;
            _slots[id] = slot;
            if (slot >> ChunkShift >= _chunks.Length)
            {
                Grow();
            }

            return slot;
        }

        // A new chunk of slots: every bitset grows by a chunk's words (all copied, once per 1,024 slots).
        private void Grow()
        {
            var chunks = new DirectoryEntry?[_chunks.Length + 1][];
            _chunks.CopyTo(chunks, 0);
            chunks[^1] = new DirectoryEntry?[ChunkSize];
            _chunks = chunks;
            _owned.Add(chunks);
            _owned.Add(chunks[^1]);
            var words = Bits.WordsFor(chunks.Length * ChunkSize);
            _listed = Grown(_listed, words);
            _open = Grown(_open, words);
            var index = new Dictionary<Attr, ulong[]>(_index.Count);
            foreach (var (a, set) in _index)
            {
                index[a] = Grown(set, words);
            }

            _index = index;
            _owned.Add(index);
        }

        private ulong[] Grown(ulong[] set, int words)
        {
            var grown = new ulong[words];
            set.CopyTo(grown, 0);
            _owned.Add(grown);
            return grown;
        }

        private ulong[] Own(ulong[] set)
        {
            if (_owned.Contains(set))
            {
                return set;
            }

            var copy = (ulong[])set.Clone();
            _owned.Add(copy);
            return copy;
        }

        private ulong[] OwnedSet(Attr attribute)
        {
            if (!_owned.Contains(_index))
            {
                _index = new Dictionary<Attr, ulong[]>(_index);
                _owned.Add(_index);
            }

            var set = _index.TryGetValue(attribute, out var found) ? Own(found) : NewSet();
            _index[attribute] = set;
            return set;
        }

        private ulong[] NewSet()
        {
            var set = new ulong[_listed.Length];
            _owned.Add(set);
            return set;
        }
    }
}

/// <summary>What a bitset of the directory's index is about.</summary>
internal enum AttrKind : byte
{
    Video,
    Region,
    City,
    Language,
    Insurance,
    CultureTag,
    Faith,
    AgeGroup,
    Availability,
    Specialty,
    Modality,
    Gender,
}

/// <summary>One indexed attribute: a kind with a tag (regions, cities, ...) or a code (enums and flags).</summary>
internal readonly record struct Attr(AttrKind Kind, int Code, string? Tag)
{
    public static Attr Tagged(AttrKind kind, string tag) => new(kind, 0, tag);

    public static Attr Coded(AttrKind kind, int code) => new(kind, code, null);

    /// <summary>Every indexed attribute of a profile, each once.</summary>
    public static Attr[] Of(TherapistProfile p)
    {
        var all = new HashSet<Attr>();
        if (p.OffersVideo)
        {
            all.Add(Coded(AttrKind.Video, 0));
        }

        Add(all, AttrKind.Region, p.LicensedRegions);
        Add(all, AttrKind.City, p.InPersonCities);
        Add(all, AttrKind.Language, p.Languages);
        Add(all, AttrKind.Insurance, p.InsuranceAccepted);
        Add(all, AttrKind.CultureTag, p.CulturalCompetencies);
        Add(all, AttrKind.CultureTag, p.LivedExperience);
        if (p.FaithTradition is not null)
        {
            all.Add(Tagged(AttrKind.Faith, p.FaithTradition));
        }

        AddFlags(all, AttrKind.AgeGroup, (int)p.AgeGroups);
        AddFlags(all, AttrKind.Availability, (int)p.Availability);
        foreach (var g in p.Specialties)
        {
            all.Add(Coded(AttrKind.Specialty, (int)g));
        }

        foreach (var m in p.Modalities)
        {
            all.Add(Coded(AttrKind.Modality, (int)m));
        }

        all.Add(Coded(AttrKind.Gender, (int)p.Gender));
        return [.. all];
    }

    private static void Add(HashSet<Attr> all, AttrKind kind, IReadOnlyList<string> tags)
    {
        foreach (var t in tags)
        {
            all.Add(Tagged(kind, t));
        }
    }

    private static void AddFlags(HashSet<Attr> all, AttrKind kind, int flags)
    {
        for (var bit = 1; bit != 0 && bit <= flags; bit <<= 1)
        {
            if ((flags & bit) != 0)
            {
                all.Add(Coded(kind, bit));
            }
        }
    }
}

/// <summary>
/// A slot's therapist with what the constraints and features read from it copied into the entry
/// itself (style, fee, capacity, track-record features), so a match touches one object per
/// eligible therapist rather than following the profile, its style and its track record.
/// </summary>
internal sealed class DirectoryEntry
{
    public DirectoryEntry(Candidate candidate, Attr[] attributes, AlliancePrior prior)
    {
        Candidate = candidate;
        Attributes = attributes;
        var track = candidate.Track;
        TrackAlliance = (float)prior.Shrink(track.Ratings, track.MeanAlliance);
        TrackVolume = PairFeatures.Volume(track.Ratings);
        for (var g = 0; g < GoalCount; g++)
        {
            TrackByGoal[g] = track.ByGoal.TryGetValue((Goal)g, out var byGoal) ? (float)prior.Shrink(byGoal.Ratings, byGoal.MeanAlliance) : (float)prior.Mean;
        }

        var p = candidate.Profile;
        Directiveness = p.Style.Directiveness;
        Structure = p.Style.Structure;
        Challenge = p.Style.Challenge;
        Fee = p.Fee;
        Weekly = p.WeeklyNewClientCapacity;
        CapacityLeft = candidate.CapacityLeft;
    }

    private DirectoryEntry(Candidate candidate, DirectoryEntry same)
    {
        Candidate = candidate;
        Attributes = same.Attributes;
        TrackAlliance = same.TrackAlliance;
        TrackVolume = same.TrackVolume;
        TrackByGoal = same.TrackByGoal;
        Directiveness = same.Directiveness;
        Structure = same.Structure;
        Challenge = same.Challenge;
        Fee = same.Fee;
        Weekly = same.Weekly;
        CapacityLeft = candidate.CapacityLeft;
    }

    public const int GoalCount = (int)Goal.LifeTransitions + 1;

    public Candidate Candidate { get; }

    public Attr[] Attributes { get; }

    public float TrackAlliance { get; }

    public float TrackVolume { get; }

    /// <summary>The track-goal-alliance feature for each first goal a client may have.</summary>
    public GoalTrack TrackByGoal;

    public double Directiveness { get; }

    public double Structure { get; }

    public double Challenge { get; }

    public decimal Fee { get; }

    public int Weekly { get; }

    public int CapacityLeft { get; }

    /// <summary>The same therapist and track record with another capacity left.</summary>
    public DirectoryEntry With(Candidate candidate) => new(candidate, this);
}

/// <summary>One float per goal, stored inline in the entry.</summary>
[System.Runtime.CompilerServices.InlineArray(DirectoryEntry.GoalCount)]
internal struct GoalTrack
{
    private float _first;
}

/// <summary>Capacity prices per slot for one model version; immutable once published.</summary>
internal sealed class CapacityPrices(string? modelVersion, DateTimeOffset? solvedAt, double[] bySlot, bool anyPositive)
{
    public static CapacityPrices None { get; } = new(null, null, [], false);

    public string? ModelVersion { get; } = modelVersion;

    public DateTimeOffset? SolvedAt { get; } = solvedAt;

    /// <summary>Whether any price is above 0: without one the match path ranks exactly as without prices.</summary>
    public bool AnyPositive { get; } = anyPositive;

    public double At(int slot) => (uint)slot < (uint)bySlot.Length ? bySlot[slot] : 0;

    /// <summary>Whether these prices apply to a model's scores.</summary>
    public bool AppliesTo(string modelVersion) => AnyPositive && string.Equals(ModelVersion, modelVersion, StringComparison.Ordinal);
}
