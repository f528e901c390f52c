using Matching.Engine.Domain;
using Matching.Engine.Simulation;

namespace Matching.Engine.Tests.Simulation;

[TestFixture]
public sealed class ClientPopulationTests
{
    private ClientPreferences[] _clients = null!;
    private ClientLatent[] _latents = null!;

    [OneTimeSetUp]
    public void Generate() => (_clients, _latents) = ClientPopulation.Create(10_000, 21);

    [Test]
    public void Requests_are_valid()
    {
        Assert.That(_clients[0].ClientId, Is.EqualTo("c-000001"));
        Assert.That(_clients.All(c => c.Goals.Count is >= 1 and <= 3 && c.Goals.Distinct().Count() == c.Goals.Count), Is.True);
        Assert.That(_clients.All(c => c.Modalities.Count <= 2), Is.True);
        Assert.That(_clients.All(c => c.Languages.Count > 0 && c.Languages.All(Vocabulary.IsValidLanguage)), Is.True);
        Assert.That(_clients.All(c => Vocabulary.IsValidTag(c.Constraints.Region) && (c.Constraints.City is null || Vocabulary.IsValidTag(c.Constraints.City))), Is.True);
        Assert.That(_clients.All(c => c.Constraints.Insurance is null || c.Constraints.MaxFee is null), Is.True);
    }

    [Test]
    public void Stated_preferences_have_realistic_shares()
    {
        double Share(Func<ClientPreferences, bool> f) => _clients.Count(f) / (double)_clients.Length;
        var modality = Share(c => c.Modalities.Count > 0);
        var adults = Share(c => c.Constraints.AgeGroup == AgeGroups.Adults);
        var limitedEnglish = _latents.Count(l => l.LimitedEnglish) / (double)_latents.Length;
        var wantsCulture = _latents.Count(l => l.WantsCulturalMatch) / (double)_latents.Length;
        var nullDirectiveness = Share(c => c.Style.Directiveness is null);
        TestContext.Out.WriteLine($"modality preference {modality:P0}, adults {adults:P0}, limited English {limitedEnglish:P1}, wants cultural match {wantsCulture:P0}, no directiveness view {nullDirectiveness:P0}");

        Assert.That(modality, Is.EqualTo(0.5).Within(0.03));
        Assert.That(adults, Is.GreaterThan(0.8));
        Assert.That(limitedEnglish, Is.EqualTo(ClientPopulation.LimitedEnglishShare).Within(0.01));
        Assert.That(wantsCulture, Is.InRange(0.1, 0.35));
        Assert.That(nullDirectiveness, Is.InRange(0.15, 0.35));
    }

    [Test]
    public void What_clients_state_follows_their_latent_traits()
    {
        // Reactant clients ask for less directive therapists.
        var stated = _clients.Zip(_latents).Where(p => p.First.Style.Directiveness is not null).ToList();
        var r = Correlation(stated.Select(p => p.Second.Reactance), stated.Select(p => p.First.Style.Directiveness!.Value));
        TestContext.Out.WriteLine($"correlation of reactance with preferred directiveness {r:F2}");
        Assert.That(r, Is.LessThan(-0.5));

        // Limited English: the first language is not English. Wanting a cultural match: said with importance.
        Assert.That(_clients.Zip(_latents).Where(p => p.Second.LimitedEnglish).All(p => p.First.Languages[0] != "en"), Is.True);
        Assert.That(_clients.Zip(_latents).Where(p => !p.Second.LimitedEnglish).All(p => p.First.Languages[0] == "en"), Is.True);
        Assert.That(_clients.Zip(_latents).Where(p => p.Second.WantsCulturalMatch).All(p => p.First.Culture is { Importance: >= Importance.Medium }), Is.True);
        Assert.That(_clients.Zip(_latents).Where(p => !p.Second.WantsCulturalMatch).All(p => p.First.Culture is null or { Importance: Importance.Low }), Is.True);
    }

    private static double Correlation(IEnumerable<double> xs, IEnumerable<double> ys)
    {
        var x = xs.ToArray();
        var y = ys.ToArray();
        var mx = x.Average();
        var my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (var k = 0; k < x.Length; k++)
        {
            sxy += (x[k] - mx) * (y[k] - my);
            sxx += (x[k] - mx) * (x[k] - mx);
            syy += (y[k] - my) * (y[k] - my);
        }

        return sxy / Math.Sqrt(sxx * syy);
    }
}
