using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// The Aspire dashboard shows the trace of one file change: the built AppHost started as a user runs it
/// (its own process, dashboard on free ports so that a user's AppHost is not in the way, a fresh DataDir),
/// and Debian's headless Chromium, driven by playwright-core (Dlopbox.Tests/Browser/dashboard-trace.mjs),
/// logging in with the token URL the AppHost prints and finding the change's trace across watcher,
/// Interface and both clients. The screenshot lands in artifacts/test-results/browser (and in docs/ with DLOPBOX_UPDATE_DOCS=1).
/// The AppHost is stopped with SIGINT (DCP then removes its containers), and whatever is left is removed.
/// </summary>
[Collection(WholeModelCollection.Name)]
public sealed partial class DashboardTraceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(4);

    [RequiresDockerFact(browser: true)]
    public async Task The_dashboard_shows_one_file_change_traced_across_watcher_interface_and_clients()
    {
        RequiresDockerFactAttribute.EnsureAvailable();
        RequiresDockerFactAttribute.EnsureBrowser();
        var appHostDll = Path.Combine(RepoRoot.Path, "artifacts", "bin", "Dlopbox.AppHost", "release", "Dlopbox.AppHost.dll");
        Assert.True(File.Exists(appHostDll), $"{appHostDll} is missing: build Dlopbox.sln -c Release first");

        var dataDir = Path.Combine(Path.GetTempPath(), "dlopbox-dashboard-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        Directory.CreateDirectory(dataDir);
        var docker = new DockerResources(dataDir);
        var log = new ConcurrentQueue<string>();
        var loginUrl = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Process? appHost = null;
        var clock = Stopwatch.StartNew();
        try
        {
            var start = new ProcessStartInfo("dotnet")
            {
                // The AppHost's dir, as `dotnet run --project Dlopbox.AppHost` runs it (appsettings.json, relative mounts).
                WorkingDirectory = Path.Combine(RepoRoot.Path, "Dlopbox.AppHost"),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var arg in (string[])[
                appHostDll,
                $"--Dlopbox:DataDir={dataDir}",
                "--Dlopbox:DataVolumes=false",
                $"--Parameters:rabbit-password={Secret()}",
                $"--Parameters:rabbit-interface-password={Secret()}",
                $"--Parameters:rabbit-client-password={Secret()}",
                $"--Parameters:watcher-token={Secret()}",
                $"--Parameters:client-token={Secret()}",
                $"--Parameters:mongo-root-password={Secret()}",
                $"--Parameters:mongo-interface-password={Secret()}",
            ])
                start.ArgumentList.Add(arg);
            // The http launch profile's settings, on free ports (a user's AppHost may hold the profile's).
            start.Environment["DOTNET_ENVIRONMENT"] = "Development";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            start.Environment["ASPNETCORE_URLS"] = $"http://localhost:{FreePort()}";
            start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{FreePort()}";
            start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{FreePort()}";
            start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
            // Dlopbox__* (the local images, Sqlite) are inherited from ./dlopbox test's environment.

            appHost = Process.Start(start)!;
            void OnLine(string? line)
            {
                if (line is null)
                    return;
                log.Enqueue(line);
                if (LoginLine().Match(line) is { Success: true } match)
                    loginUrl.TrySetResult(match.Groups[1].Value);
            }
            appHost.OutputDataReceived += (_, e) => OnLine(e.Data);
            appHost.ErrorDataReceived += (_, e) => OnLine(e.Data);
            appHost.BeginOutputReadLine();
            appHost.BeginErrorReadLine();

            using var cts = new CancellationTokenSource(StartTimeout);
            var url = await loginUrl.Task.WaitAsync(cts.Token);
            output.WriteLine($"dashboard login URL after {clock.Elapsed.TotalSeconds:F1} s: {new Uri(url).GetLeftPart(UriPartial.Path)}?t=…");

            // The services' own health endpoints; the clients start only once rabbit and nginx are healthy.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            foreach (var (service, port) in new[] { ("interface", 5000), ("watcher", 5101), ("client-a", 5102), ("client-b", 5103) })
            {
                while (!await HealthyAsync(http, $"http://localhost:{port}/health"))
                {
                    if (appHost.HasExited)
                        Assert.Fail($"the AppHost exited ({appHost.ExitCode}) before {service} was healthy:\n{Tail(log)}");
                    await Task.Delay(500, cts.Token);
                }
            }
            output.WriteLine($"services healthy after {clock.Elapsed.TotalSeconds:F1} s");
            docker.Record();
            Assert.Empty(docker.Volumes);

            // docs/ holds the committed picture: refreshed only on request, so a test run leaves the tree clean.
            var docsShot = Environment.GetEnvironmentVariable("DLOPBOX_UPDATE_DOCS") == "1"
                ? Path.Combine(RepoRoot.Path, "docs", "dashboard-trace.png")
                : "";
            var artifactDir = Path.Combine(RepoRoot.Path, "artifacts", "test-results", "browser");
            Directory.CreateDirectory(artifactDir);
            File.Delete(Path.Combine(artifactDir, "dashboard-trace.png"));
            var script = await RunScriptAsync(new Dictionary<string, string>
            {
                ["LOGIN_URL"] = url,
                ["MASTER_DIR"] = Path.Combine(dataDir, "master"),
                ["REPLICA_DIR"] = Path.Combine(dataDir, "client-a"),
                ["ARTIFACT_DIR"] = artifactDir,
                ["SCREENSHOT"] = docsShot,
                ["CHROMIUM"] = RequiresDockerFactAttribute.Chromium,
                ["TIMEOUT_MS"] = "90000",
            });
            output.WriteLine(script.Output);
            Assert.True(script.ExitCode == 0, $"dashboard-trace.mjs exited with {script.ExitCode}:\n{script.Output}\nAppHost:\n{Tail(log)}");
            Assert.Contains("dashboard-trace: ok", script.Output);
            Assert.True(new FileInfo(Path.Combine(artifactDir, "dashboard-trace.png")).Length > 20_000, "the screenshot was saved");
            output.WriteLine($"done after {clock.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            if (appHost is not null)
            {
                await StopAsync(appHost);
                appHost.Dispose();
            }
            var leftovers = await docker.RemoveLeftoversAsync();
            if (leftovers.Count > 0)
                output.WriteLine($"removed what the AppHost left: {string.Join(", ", leftovers)}");
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Ctrl-C, as a user stops it: the AppHost then has DCP remove its containers and network.</summary>
    private async Task StopAsync(Process appHost)
    {
        if (appHost.HasExited)
            return;
        using (var kill = Process.Start("kill", ["-INT", appHost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await appHost.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("the AppHost did not stop within 60 s of SIGINT; killing it");
            appHost.Kill(entireProcessTree: true);
            await appHost.WaitForExitAsync();
        }
    }

    private static async Task<(int ExitCode, string Output)> RunScriptAsync(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("node", ["dashboard-trace.mjs"])
        {
            WorkingDirectory = RequiresDockerFactAttribute.BrowserScriptDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await node.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
        }
        return (node.ExitCode, await stdout + await stderr);
    }

    private static async Task<bool> HealthyAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Tail(ConcurrentQueue<string> log) => string.Join('\n', log.TakeLast(60));

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    [GeneratedRegex(@"Login to the dashboard at (\S+/login\?t=\S+)")]
    private static partial Regex LoginLine();
}
