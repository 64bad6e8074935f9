using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Dlopbox.Embedded;
using Xunit.Abstractions;
using static Dlopbox.Tests.Faults.FaultAssert;

namespace Dlopbox.Tests.Faults;

/// <summary>The broker, the Interface and nginx go away during bursts of changes; every replica still ends equal to the master.</summary>
[Collection(FaultCollection.Name)]
public sealed class InfrastructureFaultTests(FaultSystemFixture fixture, ITestOutputHelper output)
{
    private EmbeddedSystem System => fixture.System;

    [Fact]
    public async Task S04_A_broker_restart_during_a_burst_loses_nothing_and_keeps_order()
    {
        const string dir = "s04";
        var clientLog = LogMark(fixture.Client1);
        var halfway = new TaskCompletionSource();
        var beforeStop = WriteBurstAsync(fixture.MasterDir, $"{dir}/before", 1000, seed: 4, halfway, pauseEvery50: TimeSpan.FromMilliseconds(100));
        // One file rewritten throughout: if any two of its versions were applied out of order, it would end wrong.
        using var stopCounting = new CancellationTokenSource();
        var counter = fixture.Master($"{dir}/counter.txt");
        var counting = Task.Run(async () =>
        {
            for (var i = 0; !stopCounting.IsCancellationRequested; i++)
            {
                await File.WriteAllTextAsync(counter, $"version {i}\n");
                await Task.Delay(20);
            }
            await File.WriteAllTextAsync(counter, "final version\n");
        });
        await halfway.Task;
        await System.Broker.StopAsync();
        Assert.False(System.Broker.IsRunning);
        await beforeStop;
        // More changes while the broker is down: the watcher holds them, the Interface answers 503.
        await WriteBurstAsync(fixture.MasterDir, $"{dir}/while-down", 300, seed: 40);
        await stopCounting.CancelAsync();
        await counting;
        // Neither says it is healthy while the broker is away (each has the broker client's check among its own).
        await HealthBecomesAsync(System.Interface, HttpStatusCode.ServiceUnavailable, "with the broker stopped");
        await HealthBecomesAsync(fixture.Client1, HttpStatusCode.ServiceUnavailable, "with the broker stopped");
        await System.Broker.StartAgainAsync(CancellationToken.None);

        var clock = Stopwatch.StartNew();
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "4 broker stopped mid-burst, started again", clock.Elapsed, "from broker start");

        Assert.All(System.Services, s => Assert.True(s.IsRunning, $"{s.Name} exited"));
        Assert.Equal("final version\n", await File.ReadAllTextAsync(Path.Combine(fixture.Replica(fixture.Client1), dir, "counter.txt")));
        var log = await LogOnceItSaysAsync(fixture.Client1, clientLog, "Lost the event stream", "Event stream available again");
        Assert.Contains("Lost the event stream", log);
        Assert.Contains("Event stream available again", log);
        // It resumed on a session of its own, no earlier than where it was when the stream went (deliveries already
        // received are still applied after that line, so it may be later). The library's recovery, which is off,
        // would have re-subscribed at the first session's offset instead.
        var lost = ResumeOffset.Match(log);
        Assert.True(lost.Success, log);
        var following = FollowingOffset.Match(log, lost.Index);
        Assert.True(following.Success, log);
        var lostAt = long.Parse(lost.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(lostAt > 0, log);
        Assert.True(long.Parse(following.Groups[1].Value, CultureInfo.InvariantCulture) >= lostAt, log);
        // And both are healthy again, for good.
        await HealthBecomesAsync(System.Interface, HttpStatusCode.OK, "after the broker restarted");
        await HealthBecomesAsync(fixture.Client1, HttpStatusCode.OK, "after the broker restarted");
    }

    private static readonly Regex ResumeOffset = new(@"Lost the event stream \(.*\); reconnecting, resuming at offset (\d+)");

    private static readonly Regex FollowingOffset = new(@"Following stream \S+ from offset (\d+)");

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static Task HealthBecomesAsync(ServiceProcess service, HttpStatusCode expected, string when) =>
        Eventually.TrueAsync(async () =>
        {
            try
            {
                using var response = await Http.GetAsync(service.Url + "/health");
                return response.StatusCode == expected;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), $"{service.Name} /health answered {(int)expected} {when}");

    [Fact]
    public async Task S05_The_Interface_down_for_10_s_during_a_burst_gets_everything_afterwards()
    {
        const string dir = "s05";
        var watcherLog = LogMark(System.Watcher);
        var halfway = new TaskCompletionSource();
        var writing = WriteBurstAsync(fixture.MasterDir, dir, 1000, seed: 5, halfway, pauseEvery50: TimeSpan.FromMilliseconds(200));
        await halfway.Task;
        await System.Interface.StopAsync();
        Assert.Equal(0, System.Interface.LastExitCode);
        await Task.Delay(TimeSpan.FromSeconds(10)); // the fault: the Interface is away for 10 s
        await writing;
        await fixture.StartAsync(System.Interface);

        var clock = Stopwatch.StartNew();
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "5 Interface down 10 s mid-burst", clock.Elapsed, "from Interface healthy");

        // Held and retried with backoff: one line when the outage starts, one when it ends.
        var log = await LogOnceItSaysAsync(System.Watcher, watcherLog, "The Interface does not take events", "The Interface takes events again");
        Assert.Equal(1, CountLines(log, "The Interface does not take events"));
        Assert.Equal(1, CountLines(log, "The Interface takes events again"));
    }

    [Fact]
    public async Task S07_nginx_down_briefly_delays_downloads_but_skips_none()
    {
        const string dir = "s07";
        var clientLog = LogMark(fixture.Client1);
        await System.Files.StopAsync();
        await WriteBurstAsync(fixture.MasterDir, dir, 200, seed: 7);
        // Every change is in the stream and the clients are trying (and failing) to fetch it.
        await LogOnceItSaysAsync(fixture.Client1, clientLog, "Downloads are failing");
        await Task.Delay(TimeSpan.FromSeconds(3)); // the fault: nginx stays away a few seconds more
        await System.Files.RestartAsync(CancellationToken.None);

        var clock = Stopwatch.StartNew();
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "7 nginx down ~3 s with 200 new files", clock.Elapsed, "from nginx start");

        var log = await LogOnceItSaysAsync(fixture.Client1, clientLog, "Downloads are failing", "Downloads work again");
        Assert.Equal(1, CountLines(log, "Downloads are failing"));
        Assert.Equal(1, CountLines(log, "Downloads work again"));
    }

    [Fact]
    public async Task S13_Each_service_stopped_with_SIGTERM_mid_burst_exits_cleanly_and_loses_nothing()
    {
        const string dir = "s13";
        var writing = WriteBurstAsync(fixture.MasterDir, dir, 1500, seed: 13, pauseEvery50: TimeSpan.FromMilliseconds(100));
        foreach (var service in new[] { System.Watcher, fixture.Client1, System.Interface })
        {
            await Task.Delay(TimeSpan.FromSeconds(1)); // let work be in flight
            await service.StopAsync();
            Assert.Equal(0, service.LastExitCode);
            Assert.True(service.LastStopDuration < ServiceProcess.StopGrace, $"{service.Name} took {service.LastStopDuration} to stop");
            output.WriteLine($"{service.Name} stopped in {service.LastStopDuration!.Value.TotalSeconds:0.00} s");
            await fixture.StartAsync(service);
        }
        await writing;

        var clock = Stopwatch.StartNew();
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "13 SIGTERM of watcher, client, Interface mid-burst", clock.Elapsed, "from end of burst");
    }
}
