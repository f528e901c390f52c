using static Microsoft.Playwright.Assertions;

namespace Matching.Intake.Tests;

/// <summary>The page under the API's per-key rate limit: a clear message, nothing lost.</summary>
public sealed class RateLimitedPageTests
{
    private IntakeHost _host = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _host = await new IntakeHost(new Dictionary<string, string>
    {
        ["Matching:RateLimit:PermitsPerSecond"] = "1",
        ["Matching:RateLimit:Burst"] = "2",
    }).StartAsync();

    [OneTimeTearDown]
    public void Stop() => _host.Dispose();

    [Test]
    public async Task Past_the_rate_limit_the_page_says_when_to_retry_and_keeps_the_form()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        await page.SignInAsync(IntakeHost.IntakeKey);
        await page.FillMinimalAsync("c-browser-0429");
        await page.Id("modality-act").SelectOptionAsync("moderate");

        // Two requests a burst: signing in took one, so within a few quick submissions one is refused.
        for (var i = 0; i < 10 && !(await page.Id("form-error").TextContentAsync())!.Contains("Too many requests", StringComparison.Ordinal); i++)
        {
            await page.SubmitAsync();
            await Expect(page.Id("find")).ToBeEnabledAsync();
        }

        await Expect(page.Id("form-error")).ToContainTextAsync("Too many requests from this key just now. Wait 1 second(s)");
        await Expect(page.Id("form-error")).ToContainTextAsync("nothing you entered was lost");
        await Expect(page.Id("client-id")).ToHaveValueAsync("c-browser-0429");
        await Expect(page.Id("modality-act")).ToHaveValueAsync("moderate");
        await Expect(page.Id("region")).ToHaveValueAsync("us-ny");
        await page.CloseAsync();
    }
}
