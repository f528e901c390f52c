using System.Net;

namespace Matching.Api.Tests.Intake;

/// <summary>The page's files are open to anyone and hold no data; the API behind them still needs a key.</summary>
public sealed class IntakePageTests
{
    private MatchingApiFactory _factory = null!;

    [OneTimeSetUp]
    public void Start() => _factory = new MatchingApiFactory();

    [OneTimeTearDown]
    public void Stop() => _factory.Dispose();

    [TestCase("/", "text/html")]
    [TestCase("/index.html", "text/html")]
    [TestCase("/js/app.js", "text/javascript")]
    [TestCase("/css/intake.css", "text/css")]
    public async Task The_page_is_served_without_a_key_with_a_strict_content_security_policy(string path, string mediaType)
    {
        using var client = _factory.CreateClient();
        var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo(mediaType));
        Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Does.StartWith("default-src 'self'; script-src 'self'"));
        Assert.That(response.Headers.GetValues("Referrer-Policy").Single(), Is.EqualTo("no-referrer"));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
    }

    [Test]
    public async Task The_page_names_every_script_it_loads_and_they_exist()
    {
        using var client = _factory.CreateClient();
        var html = await client.GetStringAsync("/");
        var app = await client.GetStringAsync("/js/app.js");
        Assert.That(html, Does.Contain("src=\"js/app.js\"").And.Not.Contain("http://").And.Not.Contain("https://"));

        foreach (var module in new[] { "api.js", "dom.js", "form.js", "shortlist.js", "words.js" })
        {
            var response = await client.GetAsync($"/js/{module}");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), module);
        }

        Assert.That(app, Does.Contain("'/v1/vocabularies'"));
    }

    [Test]
    public async Task Behind_the_page_the_api_still_answers_401_without_a_key()
    {
        using var client = _factory.CreateClient();

        Assert.That((await client.GetAsync("/v1/vocabularies")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await client.GetAsync("/v1/index.html")).StatusCode, Is.Not.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Loading_the_page_spends_no_rate_limit_while_the_api_behind_it_is_still_limited()
    {
        using var factory = new MatchingApiFactory(settings: new Dictionary<string, string>
        {
            ["Matching:RateLimit:PermitsPerSecond"] = "1",
            ["Matching:RateLimit:Burst"] = "1",
        });
        using var anonymous = factory.CreateClient();
        using var intake = factory.ClientFor(Matching.Api.Infrastructure.Role.Intake);

        foreach (var path in new[] { "/", "/css/intake.css", "/js/app.js", "/js/api.js", "/js/form.js", "/js/shortlist.js", "/js/words.js", "/js/dom.js" })
        {
            Assert.That((await anonymous.GetAsync(path)).StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
        }

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await intake.GetAsync("/v1/vocabularies")).StatusCode);
        }

        Assert.That(statuses, Has.Some.EqualTo(HttpStatusCode.TooManyRequests));
    }
}
