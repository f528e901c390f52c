using Microsoft.Playwright;

namespace Matching.Intake.Tests;

/// <summary>
/// Starts Playwright's bundled driver and Debian's Chromium once for every browser test. Browsers
/// cannot be downloaded here, so Playwright launches the system's Chromium; when there is none the
/// tests fail with how to install it (they never skip: a page nobody checked is not tested).
/// </summary>
[SetUpFixture]
public sealed class BrowserSetUp
{
    // The real binary first: /usr/bin/chromium is Debian's wrapper script around it.
    private static readonly string[] Candidates = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"];

    private static IPlaywright? _playwright;
    private static IBrowser? _browser;

    /// <summary>The shared browser; each test opens its own context (its own session storage).</summary>
    public static IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser did not start.");

    /// <summary>MATCHING_CHROMIUM if set, else the first Chromium found on the machine.</summary>
    public static string? FindChromium() =>
        Environment.GetEnvironmentVariable("MATCHING_CHROMIUM") is { Length: > 0 } configured
            ? configured
            : Candidates.FirstOrDefault(File.Exists);

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var chromium = FindChromium();
        if (chromium is null || !File.Exists(chromium))
        {
            Assert.Fail($"No Chromium at {chromium ?? string.Join(", ", Candidates)}. Install Debian's: apt-get install -y chromium " +
                "(.ci/run does), or point MATCHING_CHROMIUM at a Chromium binary.");
        }

        // The build machine's two cores are shared with other test projects running at the same
        // time: give the page room before an expectation counts as failed.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
