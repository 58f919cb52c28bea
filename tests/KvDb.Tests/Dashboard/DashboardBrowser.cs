// A headless chromium driven by Selenium for the dashboard tests: Debian's chromium and
// chromium-driver (.ci/run installs them), or the binaries named by KVDB_CHROMIUM and
// KVDB_CHROMEDRIVER. Without them the tests report Skipped, never passed.
// Invariants: the driver is started from its known path, so Selenium Manager never downloads
// anything; every wait is a WebDriverWait with a deadline that fails with what the page showed;
// the browser's console is read at the end of each test and any error fails it.
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace KvDb.Tests.Dashboard;

/// <summary>One headless browser window at 1280x800.</summary>
public sealed class DashboardBrowser : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly ChromeDriver driver;

    private DashboardBrowser(ChromeDriver driver) => this.driver = driver;

    /// <summary>The driver, for what the helpers do not cover.</summary>
    public IWebDriver Driver => driver;

    /// <summary>Why no browser can run here, or null when one can.</summary>
    public static string? Unavailable
    {
        get
        {
            var (browser, chromedriver) = Paths();
            if (!File.Exists(browser))
                return $"no chromium at {browser} (apt-get install chromium chromium-driver, or set KVDB_CHROMIUM)";
            return File.Exists(chromedriver) ? null : $"no chromedriver at {chromedriver} (apt-get install chromium-driver, or set KVDB_CHROMEDRIVER)";
        }
    }

    /// <summary>Where screenshots go: the test output directory.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "dashboard-screenshots");

    /// <summary>Where the browser saves downloads (the test output directory).</summary>
    public static string DownloadDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "dashboard-downloads");

    /// <summary>Starts a browser.</summary>
    public static DashboardBrowser Start()
    {
        var (browser, chromedriver) = Paths();
        var options = new ChromeOptions { BinaryLocation = browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800", "--disable-extensions", "--no-first-run");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        Directory.CreateDirectory(DownloadDirectory);
        options.AddUserProfilePreference("download.default_directory", DownloadDirectory);
        options.AddUserProfilePreference("download.prompt_for_download", false);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(chromedriver)!, Path.GetFileName(chromedriver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        return new DashboardBrowser(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)));
    }

    private static (string Browser, string Driver) Paths()
        => (Environment.GetEnvironmentVariable("KVDB_CHROMIUM") is { Length: > 0 } b ? b : "/usr/bin/chromium",
            Environment.GetEnvironmentVariable("KVDB_CHROMEDRIVER") is { Length: > 0 } d ? d : "/usr/bin/chromedriver");

    /// <summary>Opens <paramref name="url"/>.</summary>
    public void Open(Uri url) => driver.Navigate().GoToUrl(url);

    /// <summary>Waits until <paramref name="condition"/> answers non-null; fails with the page's text.</summary>
    public T Until<T>(Func<IWebDriver, T?> condition, string what, TimeSpan? timeout = null)
    {
        var wait = new WebDriverWait(driver, timeout ?? Patience) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(d => condition(d))!;
        }
        catch (WebDriverTimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}. The page showed:\n{PageText()}\nConsole:\n{string.Join('\n', Console())}");
        }
    }

    /// <summary>Waits for a visible element.</summary>
    public IWebElement Visible(By by, string what, TimeSpan? timeout = null)
        => Until(d => d.FindElements(by).FirstOrDefault(e => e.Displayed), what, timeout);

    /// <summary>The page's visible text.</summary>
    public string PageText()
    {
        try
        {
            return driver.FindElement(By.TagName("body")).Text;
        }
        catch (WebDriverException e)
        {
            return $"(no page: {e.Message})";
        }
    }

    /// <summary>Saves a screenshot as <paramref name="name"/>.png in the test output directory.</summary>
    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>The browser console's messages so far (each read once).</summary>
    public List<string> Console()
        => [.. driver.Manage().Logs.GetLog(LogType.Browser).Select(static e => $"{e.Level}: {e.Message}")];

    /// <summary>
    /// Fails for any console error other than the failed requests a test provoked on purpose
    /// (chromium logs every 4xx answer to fetch as an error; <paramref name="expectedStatuses"/> names those).
    /// </summary>
    public void ShouldHaveNoConsoleErrors(params int[] expectedStatuses)
    {
        var errors = driver.Manage().Logs.GetLog(LogType.Browser)
            .Where(static e => e.Level >= LogLevel.Severe)
            .Select(static e => e.Message)
            .Where(m => !expectedStatuses.Any(s => m.Contains($"status of {s} ", StringComparison.Ordinal)))
            .ToList();
        errors.Should().BeEmpty("the dashboard must not log errors to the console");
    }

    /// <inheritdoc/>
    public void Dispose() => driver.Quit();
}
