using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Matching.Engine.Matching;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Matching.Intake.Tests;

/// <summary>The intake page in Chromium against the real API: what staff do, and what they must see.</summary>
public sealed class IntakePageTests
{
    private IntakeHost _host = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _host = await new IntakeHost().StartAsync();

    [OneTimeTearDown]
    public void Stop() => _host.Dispose();

    [Test]
    public async Task Staff_sign_in_match_open_the_stored_shortlist_record_a_choice_and_sign_out()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        await Expect(page.Id("sign-in")).ToBeVisibleAsync();
        await Expect(page.Id("workspace")).ToBeHiddenAsync();

        await page.SignInAsync(IntakeHost.IntakeKey);
        await page.FillMinimalAsync("c-browser-0001");
        await page.Id("goal-1").SelectOptionAsync("sleep");
        await page.Id("modality-cbt").SelectOptionAsync("strong");
        await page.Id("style-directiveness-set").CheckAsync();
        await page.Id("style-directiveness").FillAsync("0.8");
        await page.Id("languages").FillAsync("en, es");
        await page.Id("culture-backgrounds").FillAsync("latino");
        await page.Id("culture-importance").SelectOptionAsync("medium");
        await page.Id("format-video").CheckAsync();
        await page.Id("limit").FillAsync("3");
        await page.ScreenshotAsync("intake-form-desktop.png", page.Id("new-match"));
        await page.SubmitAsync();

        // Five therapists meet every must-have (Spanish lets the Spanish-only one in); three were asked for.
        await Expect(page.Cards).ToHaveCountAsync(3);
        for (var i = 0; i < 3; i++)
        {
            var card = page.Cards.Nth(i);
            await Expect(card.Locator("h3 .position")).ToHaveTextAsync($"{i + 1}.");
            await Expect(card.Locator(".pillar .bar[role=meter]")).ToHaveCountAsync(3);
            await Expect(card.Locator(".bar .neutral-mark")).ToHaveCountAsync(3);
            await Expect(card.Locator("dl.facts")).ToContainTextAsync("per session");
            await Expect(card.Locator("dl.facts")).ToContainTextAsync("Video");
            await Expect(card.Locator("dl.facts")).ToContainTextAsync("English");
        }

        var first = page.Cards.First;
        await Expect(first).ToContainTextAsync("Dr Ana Ruiz");
        await Expect(first.Locator("ul.reasons li").First).ToBeVisibleAsync();
        await Expect(first.Locator("ul.reasons")).ToContainTextAsync("CBT");
        await Expect(first.Locator(".pillar .bar").First).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("^Goals fit"));
        await Expect(page.Id("model-version")).ToHaveTextAsync(RuleBasedScorer.VersionName);

        // One therapist excluded by each of three must-haves, counted where it first failed.
        var chart = page.Id("exclusions");
        await Expect(chart.Locator("figcaption")).ToContainTextAsync("8 therapists considered, 5 met every must-have, 3 shown.");
        foreach (var (constraint, count) in new[] { ("accepting", "1"), ("region", "1"), ("format", "0"), ("language", "0"), ("ageGroup", "1"), ("insurance", "0"), ("fee", "0"), ("availability", "0") })
        {
            await Expect(chart.Locator($"li[data-constraint={constraint}] .chart-count")).ToHaveTextAsync(count);
        }

        await page.ScreenshotAsync("intake-shortlist-desktop.png", page.Id("result"));
        var matchId = (await page.Id("shown-match-id").TextContentAsync())!;

        // The stored shortlist, opened by its match id.
        await page.Id("match-id").FillAsync(matchId);
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Open", Exact = true }).ClickAsync();
        await Expect(page.Page.Locator("#result .lead")).ToHaveTextAsync("Stored shortlist");
        await Expect(page.Id("result-body")).ToContainTextAsync("browser-intake");
        await Expect(page.Id("chosen-summary")).ToHaveTextAsync("Not recorded yet");
        await Expect(page.Cards).ToHaveCountAsync(3);

        // The client's choice, recorded and then shown.
        var second = page.Cards.Nth(1);
        var chosenId = (await second.GetAttributeAsync("data-therapist-id"))!;
        await second.GetByRole(AriaRole.Button, new() { Name = "Record as the client's choice" }).ClickAsync();
        await Expect(page.Id("result-status")).ToContainTextAsync("Recorded: the client chose");
        await Expect(page.Id("chosen-summary")).ToContainTextAsync(chosenId);
        await Expect(page.Cards.Nth(1).Locator(".chosen")).ToHaveTextAsync("The client chose this therapist");
        await Expect(page.Page.Locator("button.choose")).ToHaveCountAsync(0);

        using (var api = new HttpClient { BaseAddress = _host.BaseUrl })
        {
            api.DefaultRequestHeaders.Add("X-Api-Key", IntakeHost.IntakeKey);
            var stored = await api.GetFromJsonAsync<JsonObject>($"v1/matches/{matchId}");
            Assert.That(stored!["chosenTherapistId"]!.GetValue<string>(), Is.EqualTo(chosenId));
        }

        // Signing out forgets the key and everything shown.
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.Id("sign-in")).ToBeVisibleAsync();
        await Expect(page.Id("workspace")).ToBeHiddenAsync();
        await Expect(page.Id("client-id")).ToHaveValueAsync("");
        await Expect(page.Id("message")).ToContainTextAsync("Signed out. The key and everything shown were cleared");
        Assert.That(await page.Page.EvaluateAsync<int>("() => sessionStorage.length"), Is.Zero);
        Assert.That(await page.Id("result-body").InnerHTMLAsync(), Is.Empty);
        await page.Page.ReloadAsync();
        await Expect(page.Id("sign-in")).ToBeVisibleAsync();

        Assert.That(page.RequestedUrls, Has.Count.GreaterThan(5));
        Assert.That(page.RequestedUrls, Has.None.Contains(IntakeHost.IntakeKey).And.None.Contains("c-browser-0001"));
        await page.CloseAsync();
    }

    [Test]
    public async Task Fields_the_API_rejects_are_shown_next_to_each_field_and_nothing_typed_is_lost()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        await page.SignInAsync(IntakeHost.IntakeKey);
        await page.Id("client-id").FillAsync("c-browser-0002");
        await page.Id("goal-0").SelectOptionAsync("panic");
        await page.Id("goal-1").SelectOptionAsync("sleep");
        await page.Id("languages").FillAsync("en, english");
        await page.Id("region").FillAsync("New York");
        await page.Id("max-fee").FillAsync("120");
        await page.SubmitAsync();

        // The API's field paths (constraints.region, languages[1], constraints.ageGroup) land by their fields.
        await Expect(page.Id("region-error")).ToBeVisibleAsync();
        await Expect(page.Id("region-error")).ToContainTextAsync("constraints.region must be a lower-case tag");
        await Expect(page.Id("region")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Id("languages-error")).ToContainTextAsync("languages[1] must be an ISO 639-1 code");
        await Expect(page.Id("age-group-error")).ToContainTextAsync("constraints.ageGroup is required");
        await Expect(page.Id("client-id-error")).ToBeHiddenAsync();
        await Expect(page.Id("form-error")).ToContainTextAsync("could not use 3 fields");
        await Expect(page.Id("result")).ToBeHiddenAsync();
        await page.ScreenshotAsync("intake-field-errors.png", page.Id("constraints"));

        // Focus goes to the first field at fault, and everything typed is still there.
        await Expect(page.Id("languages")).ToBeFocusedAsync();
        await Expect(page.Id("client-id")).ToHaveValueAsync("c-browser-0002");
        await Expect(page.Id("goal-0")).ToHaveValueAsync("panic");
        await Expect(page.Id("goal-1")).ToHaveValueAsync("sleep");
        await Expect(page.Id("region")).ToHaveValueAsync("New York");
        await Expect(page.Id("max-fee")).ToHaveValueAsync("120");

        await page.Id("languages").FillAsync("en");
        await page.Id("region").FillAsync("us-ny");
        await page.Id("age-group").SelectOptionAsync("adults");
        await page.SubmitAsync();

        await Expect(page.Cards).Not.ToHaveCountAsync(0);
        await Expect(page.Id("region-error")).ToBeHiddenAsync();
        await Expect(page.Id("form-error")).ToBeHiddenAsync();
        Assert.That(await page.Page.Locator("[aria-invalid=true]").CountAsync(), Is.Zero);
        await page.CloseAsync();
    }

    [Test]
    public async Task The_whole_path_works_from_the_keyboard_alone_with_the_focus_always_visible()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        var keys = page.Page.Keyboard;

        await TabToAsync(page.Page, "#api-key");
        await keys.TypeAsync(IntakeHost.IntakeKey);
        await keys.PressAsync("Enter");
        await Expect(page.Id("workspace")).ToBeVisibleAsync();

        await TabToAsync(page.Page, "#client-id");
        await keys.TypeAsync("c-keyboard-01");
        await TabToAsync(page.Page, "#goal-0");
        await keys.TypeAsync("Panic");
        await Expect(page.Id("goal-0")).ToHaveValueAsync("panic");
        await TabToAsync(page.Page, "#modality-cbt");
        await keys.TypeAsync("Strongly");
        await Expect(page.Id("modality-cbt")).ToHaveValueAsync("strong");
        await TabToAsync(page.Page, "#style-structure-set");
        await keys.PressAsync("Space");
        await keys.PressAsync("Tab");
        await Expect(page.Id("style-structure")).ToBeFocusedAsync();
        await keys.PressAsync("ArrowRight");
        await keys.PressAsync("ArrowRight");
        await Expect(page.Id("style-structure")).ToHaveValueAsync("0.7");
        await Expect(page.Id("style-structure-value")).ToContainTextAsync("0.7");
        await TabToAsync(page.Page, "#region");
        await keys.TypeAsync("us-ny");
        await TabToAsync(page.Page, "#format-either");
        await keys.PressAsync("ArrowRight");
        await keys.PressAsync("ArrowRight");
        await Expect(page.Id("format-video")).ToBeCheckedAsync();
        await TabToAsync(page.Page, "#age-group");
        await keys.TypeAsync("Adult (");
        await Expect(page.Id("age-group")).ToHaveValueAsync("adults");
        await TabToAsync(page.Page, "#find");
        await keys.PressAsync("Enter");

        await Expect(page.Cards).ToHaveCountAsync(4);
        await Expect(page.Id("result-title")).ToBeFocusedAsync();

        await TabToAsync(page.Page, "#therapists button.choose");
        var chosen = await page.Page.EvaluateAsync<string>("() => document.activeElement.closest('li.card').dataset.therapistId");
        await keys.PressAsync("Enter");
        await Expect(page.Id("chosen-summary")).ToContainTextAsync(chosen);

        await TabToAsync(page.Page, "#sign-out", backwards: true);
        await keys.PressAsync("Enter");
        await Expect(page.Id("sign-in")).ToBeVisibleAsync();
        await Expect(page.Id("api-key")).ToBeFocusedAsync();
        await page.CloseAsync();
    }

    [Test]
    public async Task An_unknown_key_is_refused_next_to_the_key_field_and_not_kept()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        await page.Page.GetByLabel("Intake API key").FillAsync("not-a-key-we-know-000000");
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.Id("api-key-error")).ToContainTextAsync("This key was not recognised");
        await Expect(page.Id("api-key")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Id("workspace")).ToBeHiddenAsync();
        Assert.That(await page.Page.EvaluateAsync<int>("() => sessionStorage.length"), Is.Zero);
        await page.CloseAsync();
    }

    [Test]
    public async Task A_directory_key_can_match_but_is_told_its_role_cannot_open_a_stored_shortlist()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        await page.SignInAsync(IntakeHost.DirectoryKey);
        await page.FillMinimalAsync("c-browser-0003");
        await page.SubmitAsync();
        await Expect(page.Cards).ToHaveCountAsync(4);
        var matchId = (await page.Id("shown-match-id").TextContentAsync())!;

        await page.Id("match-id").FillAsync(matchId);
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Open", Exact = true }).ClickAsync();

        await Expect(page.Id("message")).ToContainTextAsync("role does not allow this");
        await Expect(page.Id("match-id")).ToHaveValueAsync(matchId);
        await page.CloseAsync();
    }

    [Test]
    public async Task An_unknown_match_id_is_reported_next_to_the_match_id_field()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        await page.SignInAsync(IntakeHost.IntakeKey);

        await page.Id("match-id").FillAsync(Guid.NewGuid().ToString());
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Open", Exact = true }).ClickAsync();

        await Expect(page.Id("match-id-error")).ToHaveTextAsync("No stored shortlist has this match id.");
        await Expect(page.Id("match-id")).ToBeFocusedAsync();
        await page.CloseAsync();
    }

    [Test]
    public async Task At_phone_width_the_form_and_the_shortlist_fit_without_sideways_scrolling()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl, width: 390, height: 844);
        await page.SignInAsync(IntakeHost.IntakeKey);
        Assert.That(await SidewaysOverflowAsync(page.Page), Is.Zero, "the form scrolls sideways");
        await page.ScreenshotAsync("intake-form-phone.png");

        await page.FillMinimalAsync("c-browser-0004");
        await page.Id("modality-cbt").SelectOptionAsync("moderate");
        await page.SubmitAsync();
        await Expect(page.Cards).ToHaveCountAsync(4);

        Assert.That(await SidewaysOverflowAsync(page.Page), Is.Zero, "the shortlist scrolls sideways");
        await page.ScreenshotAsync("intake-shortlist-phone.png", page.Id("result"));
        await page.CloseAsync();
    }

    [Test]
    public async Task Every_control_has_a_label_and_every_bar_a_name_and_value()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        await page.SignInAsync(IntakeHost.IntakeKey);
        await page.FillMinimalAsync("c-browser-0005");
        await page.SubmitAsync();
        await Expect(page.Cards).ToHaveCountAsync(4);

        var unlabelled = await page.Page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input, select, button, [role=meter]')]
              .filter(e => !(e.labels?.length || e.getAttribute('aria-label') || (e.tagName === 'BUTTON' && e.textContent.trim())))
              .map(e => e.id || e.outerHTML.slice(0, 80))
            """);
        Assert.That(unlabelled, Is.Empty);
        var meters = await page.Page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('[role=meter]')].filter(m => !m.getAttribute('aria-valuenow') || !m.getAttribute('aria-valuetext')).map(m => m.outerHTML)");
        Assert.That(meters, Is.Empty);
        await page.CloseAsync();
    }

    [Test]
    public async Task Text_on_the_form_its_errors_and_the_shortlist_meets_WCAG_AA_contrast()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        await page.SignInAsync(IntakeHost.IntakeKey);
        await page.FillMinimalAsync("c-browser-0007");
        await page.Id("region").FillAsync("Not A Tag");
        await page.SubmitAsync();
        await Expect(page.Id("region-error")).ToBeVisibleAsync();
        await page.Page.Mouse.MoveAsync(0, 0);
        Assert.That(await page.Page.EvaluateAsync<string[]>(LowContrastText), Is.Empty, "with field errors shown");

        await page.Id("region").FillAsync("us-ny");
        await page.SubmitAsync();
        await Expect(page.Cards).ToHaveCountAsync(4);
        await page.Page.Mouse.MoveAsync(0, 0);
        Assert.That(await page.Page.EvaluateAsync<string[]>(LowContrastText), Is.Empty, "with a shortlist shown");
        await page.CloseAsync();
    }

    // Every visible element with text of its own, against the first opaque background behind it:
    // 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). Disabled controls are exempt (WCAG 1.4.3).
    private const string LowContrastText = """
            () => {
              const rgb = c => c.match(/[\d.]+/g).map(Number);
              const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
              const background = e => {
                for (; e; e = e.parentElement) {
                  const c = rgb(getComputedStyle(e).backgroundColor);
                  if (c.length < 4 || c[3] > 0.9) return c.slice(0, 3);
                }
                return [255, 255, 255];
              };
              const out = [];
              for (const e of document.body.querySelectorAll('*')) {
                const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
                if (!own || !e.checkVisibility() || e.closest('[disabled]')) continue;
                const style = getComputedStyle(e);
                const [a, b] = [lum(rgb(style.color)), lum(background(e))];
                const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
                const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
                const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
                if (ratio < needed) out.push(`${e.tagName}#${e.id}.${e.className} "${e.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
              }
              return out;
            }
            """;

    [Test]
    public async Task The_print_view_shows_the_shortlist_for_the_file_without_the_forms_or_buttons()
    {
        var page = await IntakePageDriver.OpenAsync(BrowserSetUp.Browser, _host.BaseUrl);
        await page.SignInAsync(IntakeHost.IntakeKey);
        await page.FillMinimalAsync("c-browser-0006");
        await page.SubmitAsync();
        await Expect(page.Cards).ToHaveCountAsync(4);

        await page.Page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });

        await Expect(page.Id("new-match")).ToBeHiddenAsync();
        await Expect(page.Id("open-stored")).ToBeHiddenAsync();
        await Expect(page.Id("sign-out")).ToBeHiddenAsync();
        await Expect(page.Id("print")).ToBeHiddenAsync();
        await Expect(page.Page.Locator("button.choose").First).ToBeHiddenAsync();
        await Expect(page.Cards.First).ToBeVisibleAsync();
        await Expect(page.Id("exclusions")).ToBeVisibleAsync();
        await Expect(page.Id("shown-match-id")).ToBeVisibleAsync();
        await Expect(page.Id("model-version")).ToBeVisibleAsync();
        await page.CloseAsync();
    }

    /// <summary>
    /// Presses Tab (or Shift+Tab) until the focused element matches <paramref name="selector"/>,
    /// checking at each stop that the focus is drawn: a control reached this way is reachable by keyboard.
    /// </summary>
    private static async Task TabToAsync(IPage page, string selector, bool backwards = false)
    {
        for (var presses = 0; presses < 150; presses++)
        {
            await page.Keyboard.PressAsync(backwards ? "Shift+Tab" : "Tab");
            var focus = await page.EvaluateAsync<JsonElement>("""
                s => {
                  const e = document.activeElement;
                  const style = getComputedStyle(e);
                  return { matches: e.matches(s), tag: e.tagName, id: e.id, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
                }
                """, selector);
            var tag = focus.GetProperty("tag").GetString();
            if (tag is not ("BODY" or "HTML"))
            {
                Assert.That(focus.GetProperty("outline").GetString() != "none" && focus.GetProperty("width").GetDouble() >= 2, Is.True,
                    $"focus on {tag}#{focus.GetProperty("id").GetString()} is not visible");
            }

            if (focus.GetProperty("matches").GetBoolean())
            {
                return;
            }
        }

        Assert.Fail($"{selector} cannot be reached with the keyboard.");
    }

    private static Task<int> SidewaysOverflowAsync(IPage page) =>
        page.EvaluateAsync<int>("() => Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)");
}
