using Dlopbox.Embedded;
using Dlopbox.Tests.Deployment;
using Dlopbox.Tests.Integration;
using Xunit.Abstractions;

namespace Dlopbox.Tests.Browser;

/// <summary>
/// The status page in a real browser: Debian's headless Chromium driven by playwright-core (live-page.mjs).
/// A change made in the master must appear in the live feed, the client must show in sync, and the history and
/// the tree must find it. Screenshots land in artifacts/test-results/browser.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class LivePageBrowserTests(SyncSystemFixture system, ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);

    private static string ScriptDir => Path.Combine(RepoLayout.Root, "Dlopbox.Tests", "Browser");

    public static string ArtifactDir => Path.Combine(RepoLayout.Root, "artifacts", "test-results", "browser");

    [SkippableFact]
    public void A_change_in_the_master_appears_live_on_the_page_and_the_replica_catches_up()
    {
        SkipUnlessBrowserAvailable();
        Directory.CreateDirectory(ArtifactDir);
        File.Delete(Path.Combine(ArtifactDir, "live-page.png"));

        var result = Tool.Run("node", ["live-page.mjs"], environment: new Dictionary<string, string>
        {
            ["PAGE_URL"] = system.System.Interface.Url + "/",
            ["MASTER_DIR"] = system.MasterDir,
            ["ARTIFACT_DIR"] = ArtifactDir,
            ["CLIENT_NAME"] = "client-1",
            ["CHROMIUM"] = Chromium,
            ["TIMEOUT_MS"] = "60000",
        }, workingDirectory: ScriptDir, timeoutSeconds: (int)ScriptTimeout.TotalSeconds);
        var log = result.Output;
        output.WriteLine(log);

        Assert.True(result.ExitCode == 0, $"live-page.mjs exited with {result.ExitCode}:\n{log}");
        Assert.Contains("live-page: ok", log);
        Assert.True(new FileInfo(Path.Combine(ArtifactDir, "live-page.png")).Length > 10_000, "the screenshot was saved");
        Assert.True(File.Exists(Path.Combine(ArtifactDir, "live-page-phone.png")), "the phone-size screenshot was saved");
    }

    /// <summary>
    /// <c>./dlopbox test</c> installs Chromium and the npm package and sets DLOPBOX_REQUIRE_BROWSER, so there a missing
    /// browser fails the run; a bare <c>dotnet test</c> on a machine without them skips with the reason.
    /// </summary>
    private static void SkipUnlessBrowserAvailable()
    {
        string? missing = !File.Exists(Chromium) ? $"{Chromium} is missing (apt-get install chromium)"
            : !Directory.Exists(Path.Combine(ScriptDir, "node_modules", "playwright-core")) ? $"playwright-core is not installed (npm ci --prefix {ScriptDir})"
            : null;
        if (missing is null)
            return;
        Assert.True(Environment.GetEnvironmentVariable("DLOPBOX_REQUIRE_BROWSER") != "1", $"The browser test must run here, but {missing}.");
        Skip.If(true, $"Browser test skipped: {missing}.");
    }
}
