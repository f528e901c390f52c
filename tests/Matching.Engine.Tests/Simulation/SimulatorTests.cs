using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Simulation;

[TestFixture]
public sealed partial class SimulatorTests
{
    private static readonly SimulationOptions Small = new() { Therapists = 120, Clients = 1_500, Seed = 99, Weeks = 26 };

    private SimulationResult _small = null!;

    [OneTimeSetUp]
    public void RunSmallWorld() => _small = Simulator.Run(Small);

    [Test]
    public void The_same_seed_gives_an_identical_history()
    {
        var again = Simulator.Run(Small);

        Assert.That(Fingerprint(again), Is.EqualTo(Fingerprint(_small)));
    }

    [Test]
    public void A_different_seed_gives_a_different_history()
    {
        var other = Simulator.Run(Small with { Seed = 100 });

        Assert.That(Fingerprint(other), Is.Not.EqualTo(Fingerprint(_small)));
    }

    [Test]
    public void Every_shortlisted_therapist_was_eligible_with_capacity_left_that_week()
    {
        var therapists = _small.Therapists.ToDictionary(t => t.Id);
        var clients = _small.Clients.ToDictionary(c => c.ClientId);
        var choiceOf = _small.Choices.ToDictionary(c => c.ShortlistId);
        var used = new Dictionary<(string Therapist, long Week), int>();
        var violations = 0;
        foreach (var shortlist in _small.Shortlists)
        {
            var week = WeekOf(shortlist.CreatedAt);
            var client = clients[shortlist.ClientId];
            foreach (var item in shortlist.Items)
            {
                var therapist = therapists[item.TherapistId];
                var left = therapist.WeeklyNewClientCapacity - used.GetValueOrDefault((therapist.Id, week));
                if (HardConstraintFilter.FirstFailed(client, therapist, left) is not null)
                {
                    violations++;
                }
            }

            if (choiceOf.TryGetValue(shortlist.ShortlistId, out var choice))
            {
                used[(choice.TherapistId, week)] = used.GetValueOrDefault((choice.TherapistId, week)) + 1;
            }
        }

        Assert.That(violations, Is.Zero);
        Assert.That(_small.Shortlists.All(s => s.Items.Count is > 0 and <= 10), Is.True);
        Assert.That(_small.Shortlists.All(s => s.Items.Select(i => i.Position).SequenceEqual(Enumerable.Range(1, s.Items.Count))), Is.True);
    }

    [Test]
    public void Weekly_new_client_capacity_is_never_exceeded()
    {
        var capacity = _small.Therapists.ToDictionary(t => t.Id, t => t.WeeklyNewClientCapacity);
        var createdAt = _small.Shortlists.ToDictionary(s => s.ShortlistId, s => s.CreatedAt);
        var perWeek = _small.Choices
            .GroupBy(c => (c.TherapistId, Week: WeekOf(createdAt[c.ShortlistId])))
            .Select(g => (g.Key.TherapistId, Count: g.Count()))
            .ToList();
        var atCapacity = perWeek.Count(p => p.Count == capacity[p.TherapistId]);
        TestContext.Out.WriteLine($"therapist-weeks with new clients {perWeek.Count}, of which full {atCapacity}; requests limited by capacity {_small.Diagnostics.RequestsLimitedByCapacity} of {_small.Diagnostics.Requests}");

        Assert.That(perWeek.Where(p => p.Count > capacity[p.TherapistId]), Is.Empty);
        Assert.That(atCapacity, Is.GreaterThan(0), "capacity should bind in some weeks");
    }

    [Test]
    public void The_history_hangs_together()
    {
        var shortlists = _small.Shortlists.ToDictionary(s => s.ShortlistId);
        Assert.That(shortlists, Has.Count.EqualTo(_small.Shortlists.Count), "shortlist ids are unique");
        Assert.That(_small.Shortlists.All(s => s.Policy == "noisy-stated-preference"), Is.True);
        Assert.That(_small.Choices, Has.Count.GreaterThan(100), "the loops below see real choices");
        foreach (var choice in _small.Choices)
        {
            var shortlist = shortlists[choice.ShortlistId];
            Assert.That(shortlist.Items.Select(i => i.TherapistId), Does.Contain(choice.TherapistId));
            Assert.That(choice.At, Is.GreaterThan(shortlist.CreatedAt));
        }

        Assert.That(_small.Ratings.All(r => r.SessionNumber == 3 && r.WaiSrItems.Count == 12 && r.WaiSrItems.All(i => i is >= 1 and <= 5)), Is.True);
        var outcomes = _small.Outcomes.Where(o => o.Kind != OutcomeKind.Rematch).ToList();
        Assert.That(outcomes, Has.Count.EqualTo(_small.Choices.Count), "every match ends in a dropout or a completion");
        var earlyDropouts = outcomes.Where(o => o.Kind == OutcomeKind.Dropout && o.SessionNumber < 3).Select(o => o.ShortlistId).ToHashSet();
        Assert.That(_small.Ratings.Where(r => earlyDropouts.Contains(r.ShortlistId)), Is.Empty, "no rating from clients who left before session 3");
        Assert.That(_small.Outcomes.Where(o => o.Kind == OutcomeKind.Rematch).All(o => earlyDropouts.Contains(o.ShortlistId)), Is.True);

        // A rematch shortlist comes after the first match's rematch request and never shows its therapist again.
        var firstChoice = _small.Choices.Where(c => !shortlists[c.ShortlistId].IsRematch).ToDictionary(c => c.ClientId);
        var rematches = _small.Shortlists.Where(s => s.IsRematch).ToList();
        Assert.That(rematches, Is.Not.Empty, "the world includes rematch shortlists");
        foreach (var rematch in rematches)
        {
            Assert.That(rematch.Items.Select(i => i.TherapistId), Does.Not.Contain(firstChoice[rematch.ClientId].TherapistId));
            Assert.That(rematch.CreatedAt, Is.GreaterThan(firstChoice[rematch.ClientId].At));
        }

        Assert.That(_small.Shortlists.Min(s => s.CreatedAt), Is.GreaterThanOrEqualTo(Small.Epoch));
    }

    [Test]
    public void Clients_are_pseudonymous_and_never_named()
    {
        var json = JsonSerializer.Serialize(new { _small.Clients, _small.Shortlists, _small.Choices, _small.Ratings, _small.Outcomes });
        var names = _small.Therapists.Select(t => t.DisplayName.Split(' ')[0]).Distinct().ToList();

        Assert.That(_small.Clients.All(c => ClientId().IsMatch(c.ClientId)), Is.True);
        Assert.That(_small.Therapists.All(t => TherapistId().IsMatch(t.Id)), Is.True);
        Assert.That(names.Where(n => json.Contains(n, StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void The_directory_for_demo_data_is_the_simulated_directory()
    {
        var directory = Simulator.Directory(120, 99);

        Assert.That(directory.Select(t => t.Id), Is.EqualTo(_small.Therapists.Select(t => t.Id)));
        Assert.That(directory.Select(t => t.DisplayName), Is.EqualTo(_small.Therapists.Select(t => t.DisplayName)));
    }

    [Test]
    public void Another_policy_replays_the_same_world_with_its_own_shortlists()
    {
        var random = Simulator.Run(Small, ShortlistPolicy.UniformRandom);

        Assert.That(random.Shortlists.All(s => s.Policy == "uniform-random"), Is.True);
        Assert.That(random.Truth.TrueAlliance(7, 11), Is.EqualTo(_small.Truth.TrueAlliance(7, 11)));
        Assert.That(random.Clients.Select(c => c.ClientId), Is.EqualTo(_small.Clients.Select(c => c.ClientId)));
        Assert.That(random.Shortlists.Select(s => s.Items[0].TherapistId), Is.Not.EqualTo(_small.Shortlists.Select(s => s.Items[0].TherapistId)));
    }

    [Test]
    public void A_policy_showing_an_ineligible_therapist_is_refused()
    {
        var outsider = Simulator.Directory(1, 1)[0] with { Id = "t-99999" };
        var cheating = new ShortlistPolicy("cheating", _ => [outsider]);

        Assert.That(() => Simulator.Run(Small with { Clients = 10 }, cheating), Throws.InvalidOperationException);
    }

    [Test]
    public void Options_out_of_range_are_refused()
    {
        Assert.That(() => Simulator.Run(Small with { Weeks = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Simulator.Run(Small with { RematchProbability = 1.5 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    private long WeekOf(DateTimeOffset at) => (at - Small.Epoch).Ticks / TimeSpan.FromDays(7).Ticks;

    private static string Fingerprint(SimulationResult r)
    {
        var sb = new StringBuilder();
        foreach (var s in r.Shortlists)
        {
            sb.Append(s.ShortlistId).Append(s.ClientId).Append(s.CreatedAt.UtcTicks).AppendJoin(',', s.Items.Select(i => i.TherapistId)).Append(';');
        }

        foreach (var c in r.Choices)
        {
            sb.Append(c.ShortlistId).Append(c.TherapistId).Append(c.At.UtcTicks).Append(';');
        }

        foreach (var x in r.Ratings)
        {
            sb.Append(x.ShortlistId).AppendJoin(',', x.WaiSrItems).Append(x.At.UtcTicks).Append(';');
        }

        foreach (var o in r.Outcomes)
        {
            sb.Append(o.ShortlistId).Append(o.Kind).Append(o.SessionNumber).Append(o.At.UtcTicks).Append(';');
        }

        sb.AppendJoin(',', r.Therapists.Select(t => t.DisplayName));
        return sb.ToString();
    }

    [GeneratedRegex(@"^c-\d{6}$")]
    private static partial Regex ClientId();

    [GeneratedRegex(@"^t-\d{5}$")]
    private static partial Regex TherapistId();
}
