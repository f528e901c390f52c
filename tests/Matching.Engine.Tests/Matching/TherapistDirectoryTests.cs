using Matching.Engine.Domain;
using Matching.Engine.Learning;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Matching;

/// <summary>
/// The indexed directory against the plain per-therapist code it replaces on the match path:
/// the same exclusions counted against the same constraints, the same features bit for bit, the
/// same shortlists; and copy-on-write changes that never show through an older snapshot.
/// </summary>
public class TherapistDirectoryTests
{
    private static readonly DateTimeOffset Week = new(2026, 11, 16, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A simulated directory of 2,500 (more than two slot chunks) with varied capacity and track records.</summary>
    private static List<Candidate> World(int seed, int count = 2500)
    {
        var random = new Random(seed);
        var goals = Enum.GetValues<Goal>();
        return Simulator.Directory(count, seed).Select(p =>
        {
            var ratings = random.Next(3) == 0 ? 0 : random.Next(1, 60);
            var byGoal = goals.Where(_ => random.Next(4) == 0).ToDictionary(g => g, _ => (random.Next(1, 20), random.NextDouble()));
            var track = ratings == 0 ? TrackRecord.None : new TrackRecord(ratings, random.NextDouble(), byGoal);
            return new Candidate(p, p.WeeklyNewClientCapacity - random.Next(0, p.WeeklyNewClientCapacity + 1), track);
        }).ToList();
    }

    /// <summary>Simulated clients, some changed so every constraint and preference shape is exercised.</summary>
    private static List<ClientPreferences> Clients(int seed, int count = 300)
    {
        var random = new Random(seed);
        var formats = Enum.GetValues<SessionFormat>();
        return ClientPopulation.Generate(count, seed).Select((c, i) => (i % 6) switch
        {
            0 => c with { Constraints = c.Constraints with { Format = formats[random.Next(formats.Length)] } },
            1 => c with { Constraints = c.Constraints with { Insurance = null, MaxFee = random.Next(60, 260) } },
            2 => c with { Constraints = c.Constraints with { Availability = (Availability)random.Next(0, 8), AgeGroup = (AgeGroups)(1 << random.Next(4)) } },
            3 => c with
            {
                Culture = new CulturalPreference(["latino", "black", "south-asian"], (Importance)random.Next(4)),
                Faith = new FaithPreference("muslim", Importance.High),
                Gender = new GenderPreference([Gender.Woman, Gender.NonBinary], Importance.Medium),
                Identity = new IdentityPreference(["lgbtq"], Importance.Low),
            },
            4 => c with { Modalities = [], Goals = [c.Goals[0]], Style = new StylePreference(null, 0.2, null) },
            _ => c,
        }).ToList();
    }

    private static (HashSet<string> Eligible, int[] Excluded) Reference(ClientPreferences client, IEnumerable<Candidate> pool)
    {
        var excluded = new int[HardConstraintFilter.ConstraintCount];
        var eligible = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in pool)
        {
            if (HardConstraintFilter.FirstFailed(client, c.Profile, c.CapacityLeft) is { } failed)
            {
                excluded[(int)failed]++;
            }
            else
            {
                eligible.Add(c.Profile.Id);
            }
        }

        return (eligible, excluded);
    }

    private static (HashSet<string> Eligible, int[] Excluded, int Considered) Indexed(ClientPreferences client, TherapistDirectory directory)
    {
        var eligible = new ulong[directory.Words];
        var excluded = new int[HardConstraintFilter.ConstraintCount];
        var considered = HardConstraintFilter.Apply(client, directory, eligible, new ulong[directory.Words], excluded);
        var ids = Enumerable.Range(0, directory.SlotCount).Where(s => Bits.Test(eligible, s)).Select(s => directory.Entry(s).Candidate.Profile.Id);
        return (ids.ToHashSet(StringComparer.Ordinal), excluded, considered);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Bitset_constraints_exclude_exactly_what_the_per_therapist_check_excludes(int seed)
    {
        var world = World(seed);
        var directory = TherapistDirectory.Create(world, Week);
        var clients = Clients(seed);
        var someEligible = 0;

        foreach (var client in clients)
        {
            var (eligible, excluded) = Reference(client, world);
            var indexed = Indexed(client, directory);
            Assert.That(indexed.Eligible, Is.EquivalentTo(eligible), client.ClientId);
            Assert.That(indexed.Excluded, Is.EqualTo(excluded), client.ClientId);
            Assert.That(indexed.Considered, Is.EqualTo(world.Count));
            someEligible += eligible.Count > 0 ? 1 : 0;
        }

        Assert.That(someEligible, Is.GreaterThan(clients.Count / 3), "the clients reach real shortlists, not only empty ones");
        Assert.That(clients.Select(c => Reference(c, world).Excluded).Aggregate(new int[HardConstraintFilter.ConstraintCount], (a, e) => a.Zip(e, (x, y) => x + y).ToArray()),
            Has.All.GreaterThan(0), "every constraint excluded someone somewhere");
    }

    [TestCase(4)]
    [TestCase(5)]
    public void Indexed_features_equal_the_reference_features_bit_for_bit(int seed)
    {
        var world = World(seed);
        var directory = TherapistDirectory.Create(world, Week);
        var n = PairFeatures.Count;
        var compared = 0;
        Assert.That(directory.Prior.Ratings, Is.GreaterThan(AlliancePrior.MinimumRatings), "a measured prior, not the fallback");
        foreach (var client in Clients(seed, 120))
        {
            var slots = Enumerable.Range(0, directory.SlotCount).ToArray();
            var fast = new float[slots.Length * n];
            PairFeatures.Compute(client, directory, slots, fast);
            for (var s = 0; s < slots.Length; s++)
            {
                var expected = new float[n];
                PairFeatures.Compute(client, directory.Entry(s).Candidate, directory.Prior, expected);
                if (!fast.AsSpan(s * n, n).SequenceEqual(expected))
                {
                    Assert.Fail($"{client.ClientId} × {directory.Entry(s).Candidate.Profile.Id}: [{string.Join(", ", fast.AsSpan(s * n, n).ToArray())}] != [{string.Join(", ", expected)}]");
                }

                compared++;
            }
        }

        Assert.That(compared, Is.EqualTo(120 * world.Count));
    }

    private static IEnumerable<TestCaseData> Models()
    {
        yield return new TestCaseData(RuleBasedScorer.Instance, 10).SetArgDisplayNames("rule-based", "10");
        yield return new TestCaseData(Learning.Planted.Learned, 1).SetArgDisplayNames("8 trees", "1");
        // More than the 20 trees every row walks before the early exit starts to drop rows.
        var deep = Engine.Ranking.LambdaMartTrainer.Train(Learning.Planted.Train, null, Learning.Planted.Options with { Trees = 80, LearningRate = 0.1 });
        yield return new TestCaseData(new LearnedRankingModel("planted/deep", deep, Learning.Planted.Learned.ContributionScales), 10)
            .SetArgDisplayNames("80 trees (early exit)", "10");
        yield return new TestCaseData(new LearnedRankingModel("planted/prior", deep, Learning.Planted.Learned.ContributionScales, 2), 3)
            .SetArgDisplayNames("80 trees over the prior (early exit)", "3");
    }

    [TestCaseSource(nameof(Models))]
    public void Shortlists_from_the_directory_equal_a_full_sort_of_every_eligible_pair(IRankingModel model, int limit)
    {
        var world = World(6);
        var directory = TherapistDirectory.Create(world, Week);
        var nonEmpty = 0;
        foreach (var client in Clients(6, 100))
        {
            var outcome = Matcher.Rank(client, directory, model, limit);
            var (eligible, _) = Reference(client, world);
            var expected = world.Where(c => eligible.Contains(c.Profile.Id))
                .Select(c => (c.Profile.Id, Score: ScoreOf(model, Build.Features(client, c, directory.Prior))))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal).Take(limit).ToList();

            Assert.That(outcome.Eligible, Is.EqualTo(eligible.Count));
            Assert.That(outcome.Ranked.Select(r => r.Therapist.Id), Is.EqualTo(expected.Select(x => x.Id)), client.ClientId);
            Assert.That(outcome.Ranked.Select(r => r.Score), Is.EqualTo(expected.Select(x => x.Score)), client.ClientId);
            foreach (var r in outcome.Ranked)
            {
                Assert.That(r.Features, Is.EqualTo(Build.Features(client, world.Single(c => c.Profile.Id == r.Therapist.Id), directory.Prior)));
            }

            nonEmpty += outcome.Ranked.Count == limit ? 1 : 0;
        }

        Assert.That(nonEmpty, Is.GreaterThan(20));
    }

    [TestCaseSource(nameof(Models))]
    public void With_capacity_prices_shortlists_equal_a_full_sort_of_every_eligible_pair_by_score_minus_price(IRankingModel model, int limit)
    {
        // A third of the therapists priced, some heavily: the early exit's survivors are no longer enough.
        var world = World(7);
        var random = new Random(7);
        var prices = world.Where(_ => random.Next(3) == 0).ToDictionary(c => c.Profile.Id, _ => random.NextDouble() * 2);
        var builder = TherapistDirectory.Create(world, Week).ToBuilder();
        builder.SetPrices(model.Version, prices, Week);
        var directory = builder.ToDirectory();
        var changed = 0;
        foreach (var client in Clients(7, 100))
        {
            var outcome = Matcher.Rank(client, directory, model, limit);
            var (eligible, _) = Reference(client, world);
            var expected = world.Where(c => eligible.Contains(c.Profile.Id))
                .Select(c => (c.Profile.Id, Score: ScoreOf(model, Build.Features(client, c, directory.Prior)) - prices.GetValueOrDefault(c.Profile.Id)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal).Take(limit).ToList();

            Assert.That(outcome.Ranked.Select(r => r.Therapist.Id), Is.EqualTo(expected.Select(x => x.Id)), client.ClientId);
            Assert.That(outcome.Ranked.Select(r => r.Score), Is.EqualTo(expected.Select(x => x.Score)), client.ClientId);
            var unpriced = Matcher.Rank(client, TherapistDirectory.Create(world, Week), model, limit);
            changed += unpriced.Ranked.Select(r => r.Therapist.Id).SequenceEqual(outcome.Ranked.Select(r => r.Therapist.Id)) ? 0 : 1;
        }

        Assert.That(changed, Is.GreaterThan(10), "prices change shortlists");
    }

    [Test]
    public void Prices_for_another_model_are_ignored_and_survive_every_other_change()
    {
        var world = World(8, 300);
        var builder = TherapistDirectory.Create(world, Week).ToBuilder();
        builder.SetPrices("another-model", world.ToDictionary(c => c.Profile.Id, _ => 5.0), Week);
        builder.UseCapacity(world[0].Profile.Id);
        builder.RollOver(Week.AddDays(7));
        var directory = builder.ToDirectory();
        var plainBuilder = TherapistDirectory.Create(world, Week).ToBuilder();
        plainBuilder.UseCapacity(world[0].Profile.Id);
        plainBuilder.RollOver(Week.AddDays(7));
        var plainDirectory = plainBuilder.ToDirectory();

        Assert.That(directory.PriceOf(world[1].Profile.Id), Is.EqualTo(5.0));
        Assert.That(directory.PricesModelVersion, Is.EqualTo("another-model"));
        foreach (var client in Clients(8, 30))
        {
            var priced = Matcher.Rank(client, directory, RuleBasedScorer.Instance, 10);
            var plain = Matcher.Rank(client, plainDirectory, RuleBasedScorer.Instance, 10);
            Assert.That(priced.Ranked.Select(r => (r.Therapist.Id, r.Score)), Is.EqualTo(plain.Ranked.Select(r => (r.Therapist.Id, r.Score))));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => builder.SetPrices("m", new Dictionary<string, double> { [world[0].Profile.Id] = -1 }, Week));
    }

    private static double ScoreOf(IRankingModel model, float[] row)
    {
        var score = new double[1];
        model.Score(row, 1, score);
        return score[0];
    }

    [Test]
    public void A_change_is_seen_by_the_next_snapshot_and_never_by_the_one_before()
    {
        var world = World(7, 1500);
        var before = TherapistDirectory.Create(world, Week);
        var target = world[1200].Profile;
        var builder = before.ToBuilder();

        builder.SetListing(target with { LicensedRegions = ["zz-nowhere"], Fee = 999m }, listed: true);
        builder.SetListing(world[3].Profile, listed: false);
        var after = builder.ToDirectory();

        Assert.Multiple(() =>
        {
            Assert.That(before.Find(target.Id)!.Profile, Is.SameAs(target));
            Assert.That(after.Find(target.Id)!.Profile.LicensedRegions, Is.EqualTo(new[] { "zz-nowhere" }));
            Assert.That(before.IsListed(world[3].Profile.Id), Is.True);
            Assert.That(after.IsListed(world[3].Profile.Id), Is.False);
            Assert.That(after.ListedCount, Is.EqualTo(before.ListedCount - 1));
        });

        // Every client's constraints see the old directory in the old snapshot and the new one in the new.
        var changed = world.Select(c => c.Profile.Id == target.Id ? c with { Profile = after.Find(target.Id)!.Profile } : c)
            .Where(c => c.Profile.Id != world[3].Profile.Id).ToList();
        foreach (var client in Clients(7, 60))
        {
            Assert.That(Indexed(client, before).Eligible, Is.EquivalentTo(Reference(client, world).Eligible));
            Assert.That(Indexed(client, after).Eligible, Is.EquivalentTo(Reference(client, changed).Eligible));
            Assert.That(Indexed(client, after).Excluded, Is.EqualTo(Reference(client, changed).Excluded));
        }
    }

    [Test]
    public void Unlisting_and_listing_again_keep_the_slot_its_capacity_and_its_track_record()
    {
        var track = new TrackRecord(12, 0.8, new Dictionary<Goal, (int, double)>());
        var profile = Build.Therapist("t-back") with { WeeklyNewClientCapacity = 3 };
        var directory = TherapistDirectory.Create([new Candidate(profile, 2, track)], Week);
        var builder = directory.ToBuilder();

        builder.SetListing(profile, listed: false);
        var unlisted = builder.ToDirectory();
        builder.SetListing(profile with { Fee = 90m }, listed: true);
        var relisted = builder.ToDirectory();

        Assert.Multiple(() =>
        {
            Assert.That(Matcher.Rank(Build.Client(), unlisted, RuleBasedScorer.Instance, 10).Ranked, Is.Empty);
            Assert.That(unlisted.SlotCount, Is.EqualTo(1));
            Assert.That(relisted.Find("t-back")!.CapacityLeft, Is.EqualTo(2));
            Assert.That(relisted.Find("t-back")!.Track, Is.SameAs(track));
            Assert.That(relisted.Find("t-back")!.Profile.Fee, Is.EqualTo(90m));
            Assert.That(Matcher.Rank(Build.Client(), relisted, RuleBasedScorer.Instance, 10).Ranked.Single().Therapist.Id, Is.EqualTo("t-back"));
        });
    }

    [Test]
    public void A_therapist_whose_places_are_used_is_excluded_until_the_week_rolls_over()
    {
        var profile = Build.Therapist("t-two") with { WeeklyNewClientCapacity = 2 };
        var builder = TherapistDirectory.Create([new Candidate(profile, 2, TrackRecord.None)], Week).ToBuilder();

        Assert.That(builder.UseCapacity("t-two"), Is.True);
        var one = builder.ToDirectory();
        builder.UseCapacity("t-two");
        var full = builder.ToDirectory();
        builder.RollOver(Week.AddDays(-7));
        var stillFull = builder.ToDirectory();
        builder.RollOver(Week.AddDays(7));
        var nextWeek = builder.ToDirectory();

        Assert.Multiple(() =>
        {
            Assert.That(builder.UseCapacity("t-unknown"), Is.False);
            Assert.That(Matcher.Rank(Build.Client(), one, RuleBasedScorer.Instance, 10).Eligible, Is.EqualTo(1));
            Assert.That(Matcher.Rank(Build.Client(), full, RuleBasedScorer.Instance, 10).ExcludedBy[Constraint.Accepting], Is.EqualTo(1));
            Assert.That(stillFull.WeekStart, Is.EqualTo(Week), "an earlier week is not a roll-over");
            Assert.That(Matcher.Rank(Build.Client(), stillFull, RuleBasedScorer.Instance, 10).Eligible, Is.Zero);
            Assert.That(nextWeek.WeekStart, Is.EqualTo(Week.AddDays(7)));
            Assert.That(nextWeek.Find("t-two")!.CapacityLeft, Is.EqualTo(2));
            Assert.That(Matcher.Rank(Build.Client(), nextWeek, RuleBasedScorer.Instance, 10).Eligible, Is.EqualTo(1));
            Assert.That(full.Find("t-two")!.CapacityLeft, Is.Zero, "the older snapshot keeps its week");
        });
    }

    [Test]
    public void Ratings_added_one_by_one_give_the_means_a_full_recount_gives()
    {
        var profile = Build.Therapist("t-rated");
        var builder = TherapistDirectory.Create([new Candidate(profile, 2, TrackRecord.None)], Week).ToBuilder();
        (Goal? Goal, double Overall)[] ratings = [(Goal.Anxiety, 0.9), (Goal.Anxiety, 0.6), (Goal.Grief, 0.75), (null, 0.5)];

        foreach (var (goal, overall) in ratings)
        {
            Assert.That(builder.AddRating("t-rated", goal, overall), Is.True);
        }

        var track = builder.ToDirectory().Find("t-rated")!.Track;
        var features = Build.Features(Build.Client(Goal.Anxiety), new Candidate(profile, 2, track));
        Assert.Multiple(() =>
        {
            Assert.That(track.Ratings, Is.EqualTo(4));
            Assert.That(track.MeanAlliance, Is.EqualTo(ratings.Average(r => r.Overall)).Within(1e-12));
            Assert.That(track.ByGoal[Goal.Anxiety].Ratings, Is.EqualTo(2));
            Assert.That(track.ByGoal[Goal.Anxiety].MeanAlliance, Is.EqualTo(0.75).Within(1e-12));
            Assert.That(track.ByGoal[Goal.Grief], Is.EqualTo((1, 0.75)));
            Assert.That(builder.AddRating("t-unknown", null, 0.5), Is.False);
            Assert.That(features[PairFeatures.Index.TrackGoalAlliance], Is.EqualTo((float)(((2 * 0.75) + (AlliancePrior.Weight * AlliancePrior.Fallback.Mean)) / (2 + AlliancePrior.Weight))));
        });
    }

    [Test]
    public void A_directory_built_change_by_change_matches_one_built_at_once()
    {
        var world = World(8, 3000);
        var builder = TherapistDirectory.Empty(Week, AlliancePrior.Of(world.Select(c => c.Track))).ToBuilder();
        foreach (var c in world)
        {
            builder.Set(c.Profile, true, c.Profile.WeeklyNewClientCapacity - c.CapacityLeft, c.Track);
            if (c.Profile.Id.EndsWith('7'))
            {
                builder.ToDirectory(); // published mid-way: later changes must copy, not write through
            }
        }

        var incremental = builder.ToDirectory();
        var atOnce = TherapistDirectory.Create(world, Week);
        Assert.That(incremental.ListedCount, Is.EqualTo(3000));
        foreach (var client in Clients(8, 60))
        {
            Assert.That(Indexed(client, incremental).Excluded, Is.EqualTo(Indexed(client, atOnce).Excluded));
            Assert.That(Indexed(client, incremental).Eligible, Is.EquivalentTo(Indexed(client, atOnce).Eligible));
        }
    }
}
