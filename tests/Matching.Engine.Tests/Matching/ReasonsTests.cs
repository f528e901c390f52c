using Matching.Engine.Domain;
using Matching.Engine.Matching;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Matching;

/// <summary>Reasons are checked as properties over simulated clients and therapists, not only by example.</summary>
public class ReasonsTests
{
    private const int Seed = 11;

    // Each style phrase, the axis it is about and the side of 0.5 it describes.
    private static readonly (string Words, Func<StylePreference, double?> Wanted, Func<CommunicationStyle, double> Actual, bool High)[] StylePhrases =
    [
        ("follows your lead", s => s.Directiveness, t => t.Directiveness, false),
        ("leads sessions actively", s => s.Directiveness, t => t.Directiveness, true),
        ("keeps sessions open and exploratory", s => s.Structure, t => t.Structure, false),
        ("keeps sessions structured", s => s.Structure, t => t.Structure, true),
        ("offers warm support", s => s.Challenge, t => t.Challenge, false),
        ("offers gentle challenge", s => s.Challenge, t => t.Challenge, true),
    ];

    private static readonly IReadOnlyList<ClientPreferences> Clients = ClientPopulation.Generate(1500, Seed);
    private static readonly IReadOnlyList<TherapistProfile> Therapists = TherapistPopulation.Generate(60, Seed);

    private static IEnumerable<(ClientPreferences Client, TherapistProfile Therapist, IReadOnlyList<string> Reasons)> Pairs(Func<ClientPreferences, ClientPreferences>? change = null)
    {
        foreach (var generated in Clients)
        {
            var client = change is null ? generated : change(generated);
            foreach (var therapist in Therapists)
            {
                yield return (client, therapist, Reasons.For(client, Build.Candidate(therapist), AlliancePrior.Fallback));
            }
        }
    }

    [Test]
    public void A_style_reason_names_a_preference_only_when_the_client_stated_one_on_that_side()
    {
        var checkedReasons = 0;
        var wrong = new List<string>();
        foreach (var (client, therapist, reasons) in Pairs())
        {
            foreach (var reason in reasons)
            {
                foreach (var (words, wanted, actual, high) in StylePhrases)
                {
                    if (!reason.StartsWith(words + ",", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    checkedReasons++;
                    var stated = wanted(client.Style);
                    var isAsAsked = reason.EndsWith("as you asked", StringComparison.Ordinal) && !reason.Contains("unlike", StringComparison.Ordinal);
                    var therapistOnThatSide = high ? actual(therapist.Style) > 0.5 : actual(therapist.Style) < 0.5;
                    var clientOnThatSide = stated is { } s && (high ? s > 0.5 : s < 0.5);
                    var clientOnTheOtherSide = stated is { } o && (high ? o < 0.5 : o > 0.5);
                    var truthful = therapistOnThatSide && (isAsAsked ? clientOnThatSide : clientOnTheOtherSide);
                    if (!truthful)
                    {
                        wrong.Add($"{client.ClientId}/{therapist.Id}: \"{reason}\" (client {stated?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, therapist {actual(therapist.Style).ToString(System.Globalization.CultureInfo.InvariantCulture)})");
                    }
                }
            }
        }

        Assert.That(checkedReasons, Is.GreaterThan(1000), "the generated pairs exercise style reasons");
        Assert.That(wrong, Is.Empty, $"{wrong.Count} untrue style reasons, e.g. {string.Join("; ", wrong.Take(5))}");
    }

    [Test]
    public void A_neutral_or_absent_style_preference_never_gives_a_style_reason([Values(0.5, null)] double? stated)
    {
        var neutral = Pairs(c => c with { Style = new StylePreference(stated, stated, stated) })
            .SelectMany(p => p.Reasons)
            .Where(r => StylePhrases.Any(s => r.StartsWith(s.Words + ",", StringComparison.Ordinal)))
            .Distinct()
            .ToList();

        Assert.That(neutral, Is.Empty);
    }

    [Test]
    public void A_clear_preference_met_by_the_therapist_is_named_whenever_there_is_room()
    {
        var missing = new List<string>();
        var cases = 0;
        foreach (var (client, therapist, reasons) in Pairs())
        {
            if (reasons.Count >= 5)
            {
                continue; // reasons are capped at five; a sixth may have been dropped
            }

            foreach (var (words, wanted, actual, high) in StylePhrases)
            {
                var s = wanted(client.Style);
                var t = actual(therapist.Style);
                var bothClearlyOnThatSide = s is { } v && (high ? v >= 0.7 && t >= 0.7 : v <= 0.3 && t <= 0.3);
                if (!bothClearlyOnThatSide)
                {
                    continue;
                }

                cases++;
                if (!reasons.Contains($"{words}, as you asked"))
                {
                    missing.Add($"{client.ClientId}/{therapist.Id}: no \"{words}, as you asked\" (client {s}, therapist {t})");
                }
            }
        }

        Assert.That(cases, Is.GreaterThan(100), "the generated pairs exercise clear preferences");
        Assert.That(missing, Is.Empty, $"{missing.Count} missing, e.g. {string.Join("; ", missing.Take(5))}");
    }
}
