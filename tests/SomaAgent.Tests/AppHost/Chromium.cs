using Microsoft.Playwright;

namespace SomaAgent.Tests.AppHost;

/// <summary>
/// Debian's Chromium, driven by Playwright for .NET (its node driver ships in the package; no <c>playwright install</c>),
/// headless, launched once per test class. eng/install-test-deps.sh installs it.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };
    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: CI uploads <c>artifacts/test-results</c>.</summary>
    public static string Screenshots { get; } = Path.Combine(AppModel.RepositoryRoot, "artifacts", "test-results", "screenshots");

    public async ValueTask InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // As root (CI's container), Chromium needs --no-sandbox.
            Args = ["--no-sandbox", "--disable-gpu"],
        });
    }

    /// <summary>A page in a fresh context (its own cookies) of the given size.</summary>
    public async Task<IPage> NewPageAsync(ViewportSize size)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = size });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        return page;
    }

    /// <summary>Saves a full-page screenshot as <c>{name}-{width}.png</c>.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, $"{name}-{page.ViewportSize!.Width}.png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}
