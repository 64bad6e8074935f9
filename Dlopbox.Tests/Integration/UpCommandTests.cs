using System.Diagnostics;
using Dlopbox.Embedded;

namespace Dlopbox.Tests.Integration;

/// <summary>
/// The README's run command, as `./dlopbox up` runs it once built: it prints a line with "ready", the
/// replica then follows the master, the "one more replica" command it prints adds a replica that syncs and
/// reports in, and SIGTERM stops everything it started.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class UpCommandTests
{
    [Fact]
    public async Task Up_prints_ready_syncs_and_stops_cleanly_on_sigterm()
    {
        var root = Path.Combine(Path.GetTempPath(), "dlopbox-up-" + Guid.NewGuid().ToString("N")[..8]);
        var master = Path.Combine(root, "master");
        var replica = Path.Combine(root, "replica");
        Directory.CreateDirectory(master);
        await File.WriteAllTextAsync(Path.Combine(master, "before-start.txt"), "already here");
        try
        {
            var start = new ProcessStartInfo("dotnet",
                [RepoLayout.ServiceAssembly("Dlopbox.Embedded"), "up", "--master", master, "--replica", replica, "--state", Path.Combine(root, "state"), "--port", "0", "--quiet"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var up = Process.Start(start)!;
            var output = new System.Text.StringBuilder();
            var ready = new TaskCompletionSource();
            up.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                    return;
                lock (output)
                    output.AppendLine(e.Data);
                if (e.Data.Contains("ready", StringComparison.Ordinal))
                    ready.TrySetResult();
            };
            up.ErrorDataReceived += (_, e) =>
            {
                lock (output)
                    output.AppendLine(e.Data);
            };
            up.BeginOutputReadLine();
            up.BeginErrorReadLine();

            var finished = await Task.WhenAny(ready.Task, up.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(120)));
            Assert.True(ready.Task.IsCompleted, "no ready line:\n" + output);
            Assert.Contains(master, output.ToString());
            Assert.Contains(replica, output.ToString());

            await File.WriteAllTextAsync(Path.Combine(master, "after-ready.txt"), "live");
            await TreeAssert.ConvergesAsync(master, replica, TimeSpan.FromSeconds(60));

            // The printed command, pasted as a user would (with the built client instead of ./dlopbox client).
            string line;
            lock (output)
                line = output.ToString().Split('\n').Single(l => l.Contains("one more replica: ./dlopbox client ", StringComparison.Ordinal));
            var extra = Path.Combine(root, "extra");
            var arguments = line[(line.IndexOf("./dlopbox client ", StringComparison.Ordinal) + "./dlopbox client ".Length)..]
                .Trim().Split(' ').Select(a => a == "DIR" ? extra : a == "NAME" ? "extra" : a).ToList();
            var interfaceUrl = arguments[arguments.IndexOf("--interface") + 1];
            using (var client = Process.Start(new ProcessStartInfo("dotnet",
                [RepoLayout.ServiceAssembly("Dlopbox.Client"), .. arguments, "--state", Path.Combine(root, "extra-state"), "--urls", "http://127.0.0.1:0"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!)
            {
                client.OutputDataReceived += (_, _) => { };
                client.ErrorDataReceived += (_, _) => { };
                client.BeginOutputReadLine();
                client.BeginErrorReadLine();
                await TreeAssert.ConvergesAsync(master, extra, TimeSpan.FromSeconds(60));
                // Its reports carry the token the line gave it, so the status page lists it.
                using var http = new HttpClient { BaseAddress = new Uri(interfaceUrl) };
                await Eventually.TrueAsync(async () => (await http.GetAsync($"{Dlopbox.Contracts.WireNames.ClientsRoute}/extra")).StatusCode == System.Net.HttpStatusCode.OK,
                    TimeSpan.FromSeconds(30), "the extra client reported in");
                _ = Kill(client.Id, 15);
                using var clientExit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await client.WaitForExitAsync(clientExit.Token);
                Assert.Equal(0, client.ExitCode);
            }

            _ = Kill(up.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await up.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, up.ExitCode);
            Assert.Empty(ProcessesMentioning(root));
        }
        finally
        {
            foreach (var pid in ProcessesMentioning(root))
                Process.GetProcessById(pid).Kill(entireProcessTree: true);
            TestLogs.Keep(Path.Combine(root, "state", "logs"), "up");
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Every process whose command line or environment names the dir: what `up` started and left behind.</summary>
    private static List<int> ProcessesMentioning(string dir)
    {
        var found = new List<int>();
        foreach (var proc in Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)))
        {
            try
            {
                var cmdline = File.ReadAllText($"/proc/{proc}/cmdline").Replace('\0', ' ');
                var environ = File.ReadAllText($"/proc/{proc}/environ").Replace('\0', ' ');
                if ((cmdline.Contains(dir, StringComparison.Ordinal) || environ.Contains(dir, StringComparison.Ordinal))
                    && int.Parse(proc!, System.Globalization.CultureInfo.InvariantCulture) != Environment.ProcessId)
                    found.Add(int.Parse(proc!, System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
