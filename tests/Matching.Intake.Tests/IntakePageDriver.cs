using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Matching.Intake.Tests;

/// <summary>What staff do on the page, in the page's own words and controls, for the tests to reuse.</summary>
public sealed class IntakePageDriver(IPage page)
{
    public IPage Page { get; } = page;

    /// <summary>Every URL the page requested, to check that no key or client id ever lands in one.</summary>
    public List<string> RequestedUrls { get; } = [];

    public static async Task<IntakePageDriver> OpenAsync(IBrowser browser, Uri baseUrl, int width = 1280, int height = 900)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var driver = new IntakePageDriver(page);
        page.Request += (_, request) => driver.RequestedUrls.Add(request.Url);
        await page.GotoAsync(baseUrl.ToString());
        return driver;
    }

    public ILocator Id(string id) => Page.Locator($"#{id}");

    public async Task SignInAsync(string key)
    {
        await Page.GetByLabel("Intake API key").FillAsync(key);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Id("workspace")).ToBeVisibleAsync();
    }

    /// <summary>The fewest fields a match needs: a client, a goal, a region and an age group.</summary>
    public async Task FillMinimalAsync(string clientId)
    {
        await Id("client-id").FillAsync(clientId);
        await Id("goal-0").SelectOptionAsync("panic");
        await Id("region").FillAsync("us-ny");
        await Id("age-group").SelectOptionAsync("adults");
    }

    public async Task SubmitAsync() => await Page.GetByRole(AriaRole.Button, new() { Name = "Find therapists" }).ClickAsync();

    public ILocator Cards => Page.Locator("#therapists > li.card");

    /// <summary>A screenshot of the viewport, or of one element, attached to the test's results.</summary>
    public async Task ScreenshotAsync(string name, ILocator? element = null)
    {
        var folder = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        if (element is null)
        {
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        }
        else
        {
            await element.ScreenshotAsync(new LocatorScreenshotOptions { Path = path });
        }

        TestContext.AddTestAttachment(path);
    }

    public async Task CloseAsync() => await Page.Context.CloseAsync();
}
