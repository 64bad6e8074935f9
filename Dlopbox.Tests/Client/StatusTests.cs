using System.Diagnostics.Metrics;
using System.Text.Json;
using Dlopbox.Client;
using Dlopbox.Client.Cli;
using Dlopbox.Client.Replica;
using Dlopbox.Client.Reporting;
using Dlopbox.Client.State;
using Dlopbox.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Client;

/// <summary>status.json, the progress reporter (against a real local HTTP server) and <c>dlopbox-client status</c>.</summary>
public sealed class StatusTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _dir.Dispose();

    private ClientStatusFile SampleStatus() => new()
    {
        Name = "t1",
        Phase = ClientPhase.Following,
        AppliedOffset = 42,
        LastError = "lost the event stream: broker closed the connection",
        LastErrorAt = _time.GetUtcNow() - TimeSpan.FromMinutes(5),
        StartedAt = _time.GetUtcNow() - TimeSpan.FromHours(3),
        UpdatedAt = _time.GetUtcNow(),
    };

    [Fact]
    public async Task Status_file_round_trips_and_is_replaced_whole()
    {
        var store = new ClientStatusStore(_dir.State);
        var status = SampleStatus() with { Phase = ClientPhase.Reconciling, Reconcile = new ReconcileProgress { FilesDone = 1, FilesTotal = 2, BytesDone = 3, BytesTotal = 4 } };

        await store.SaveAsync(SampleStatus(), CancellationToken.None);
        await store.SaveAsync(status, CancellationToken.None);

        Assert.Equal(status, await new ClientStatusStore(_dir.State).LoadAsync(CancellationToken.None));
        Assert.Equal([ClientStatusStore.FileName], Directory.GetFiles(_dir.State).Select(Path.GetFileName));
        Assert.Contains("\"phase\": \"reconciling\"", await File.ReadAllTextAsync(store.FilePath));
    }

    [Fact]
    public async Task A_missing_or_corrupt_status_file_is_no_status()
    {
        var store = new ClientStatusStore(_dir.State);
        Assert.Null(await store.LoadAsync(CancellationToken.None));

        Directory.CreateDirectory(_dir.State);
        await File.WriteAllTextAsync(store.FilePath, "{\"phase\": ");
        Assert.Null(await store.LoadAsync(CancellationToken.None));
    }

    private async Task<string> StatusOutputAsync(Dictionary<string, string?> settings, HttpMessageHandler? handler = null)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(settings);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await StatusCommand.RunAsync(configuration, StatusCommand.CreateConsole(output), error, _time, handler, CancellationToken.None);
        Assert.Equal(0, exitCode);
        Assert.Equal("", error.ToString());
        return output.ToString();
    }

    [Fact]
    public async Task Status_reads_the_state_dir_and_says_when_the_interface_is_unreachable()
    {
        var options = Options.Create(new ClientOptions { ReplicaDir = _dir.Replica, StateDir = _dir.State });
        await new ClientStateStore(options, _time, NullLogger<ClientStateStore>.Instance).SaveAsync(null, 42, CancellationToken.None);
        await new ClientStatusStore(_dir.State).SaveAsync(SampleStatus(), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(3));

        var output = await StatusOutputAsync(new()
        {
            ["Client:Name"] = "t1",
            ["Client:StateDir"] = _dir.State,
            // Nothing listens on port 1: the connection is refused at once.
            ["services:interface:http:0"] = "http://127.0.0.1:1",
        });

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("client          t1", lines[0]);
        Assert.Equal($"state dir       {_dir.State}", lines[1]);
        Assert.Equal("applied offset  42 (saved 3 s ago)", lines[2]);
        Assert.Equal("phase           following (updated 3 s ago)", lines[3]);
        Assert.Equal("started         3 h ago", lines[4]);
        Assert.Equal("last error      lost the event stream: broker closed the connection (5 min ago)", lines[5]);
        Assert.StartsWith("interface       http://127.0.0.1:1: not reachable (", lines[6]);
        Assert.Equal(7, lines.Length);
        Assert.DoesNotContain("│", output);
    }

    [Fact]
    public async Task Status_without_state_or_interface_says_so()
    {
        var output = await StatusOutputAsync(new() { ["Client:Name"] = "t1", ["Client:StateDir"] = _dir.State });

        Assert.Contains($"state dir       {_dir.State} (does not exist)", output);
        Assert.Contains("applied offset  none yet: no sync has completed with this state dir", output);
        Assert.Contains("phase           unknown: no status.json yet", output);
        Assert.Contains("interface       not configured (--interface or services__interface__http__0)", output);
    }

    [Fact]
    public async Task Status_shows_what_the_interface_knows()
    {
        await using var server = await RecordingServer.StartAsync();
        var progress = new ClientProgress { Phase = ClientPhase.Following, AppliedOffset = 40, LagSeconds = 1.24 };
        var others = new ClientStatus { Name = "t10", Progress = progress with { AppliedOffset = 1 }, LastSeen = _time.GetUtcNow(), LagEvents = 44 };
        var mine = new ClientStatus { Name = "t1", Progress = progress, LastSeen = _time.GetUtcNow() - TimeSpan.FromSeconds(2), LagEvents = 5 };
        server.Answers["GET /clients"] = (200, JsonSerializer.Serialize(new ClientsOverview(45, [others, mine]), DlopboxJsonContext.Default.ClientsOverview));

        var output = await StatusOutputAsync(new()
        {
            ["Client:Name"] = "t1",
            ["Client:StateDir"] = _dir.State,
            ["services:interface:http:0"] = server.Url,
        });

        Assert.Contains($"interface       {server.Url}\n", output);
        Assert.Contains("stream head     45\n", output);
        Assert.Contains("lag             5 events, 1.2 s\n", output);
        Assert.Contains("last seen       2 s ago (phase following, applied offset 40)\n", output);
    }

    [Fact]
    public async Task Status_says_when_the_interface_has_no_report_from_this_client()
    {
        await using var server = await RecordingServer.StartAsync();
        var other = new ClientStatus { Name = "t10", Progress = new ClientProgress { Phase = ClientPhase.Following, AppliedOffset = 45 }, LastSeen = _time.GetUtcNow(), LagEvents = 0 };
        server.Answers["GET /clients"] = (200, JsonSerializer.Serialize(new ClientsOverview(45, [other]), DlopboxJsonContext.Default.ClientsOverview));

        var output = await StatusOutputAsync(new()
        {
            ["Client:Name"] = "t1",
            ["Client:StateDir"] = _dir.State,
            ["services:interface:http:0"] = server.Url,
        });

        Assert.Contains("stream head     45\n", output);
        Assert.Contains("last seen       never: the Interface has no report from this client\n", output);
        Assert.DoesNotContain("lag ", output);
    }

    [Fact]
    public async Task Status_command_line_prints_the_table_and_exits_0()
    {
        await new ClientStatusStore(_dir.State).SaveAsync(SampleStatus(), CancellationToken.None);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await ClientCommandLine.InvokeAsync(["status", "--state", _dir.State, "--name", "t1", "--interface", "http://127.0.0.1:1"], output, error);

        Assert.Equal(0, exitCode);
        Assert.Contains("client          t1", output.ToString());
        Assert.Contains("phase           following (updated ", output.ToString());
        Assert.Contains("interface       http://127.0.0.1:1: not reachable (", output.ToString());
    }

    private const string ReportToken = "reporter-token-0123456789";

    private ProgressReporter CreateReporter(string interfaceUrl, SyncProgress progress, AppliedOffsetTracker offsets, out ServiceProvider services,
        ILogger<ProgressReporter>? logger = null)
    {
        var options = Options.Create(new ClientOptions
        {
            ReplicaDir = _dir.Replica,
            StateDir = _dir.State,
            Name = "reporter-1",
            Token = ReportToken,
            // Only a phase change can bring a second report within the test.
            ReportInterval = TimeSpan.FromHours(1),
        });
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var telemetry = new ClientTelemetry(services.GetRequiredService<IMeterFactory>(), offsets, options, TimeProvider.System);
        var http = new HttpClient { BaseAddress = new Uri(interfaceUrl), Timeout = TimeSpan.FromSeconds(5) };
        return new ProgressReporter(new ProgressReportClient(http, options), progress, offsets, telemetry, options, TimeProvider.System,
            logger ?? NullLogger<ProgressReporter>.Instance);
    }

    [Fact]
    public async Task Reporter_puts_its_progress_at_once_and_again_when_the_phase_changes()
    {
        await using var server = await RecordingServer.StartAsync();
        var progress = new SyncProgress(TimeProvider.System);
        var offsets = new AppliedOffsetTracker();
        offsets.Reset(41);
        var reporter = CreateReporter(server.Url, progress, offsets, out var services);
        using var _ = services;

        await reporter.StartAsync(CancellationToken.None);
        var first = await server.NextAsync();
        progress.RecordError("reconcile from snapshot failed: connection refused");
        progress.BeginReconcile(files: 10, bytes: 1000);
        // Last: a report follows every phase change, so one shows all three. Earlier wakes may show fewer.
        progress.SetPhase(ClientPhase.Reconciling);
        RecordedRequest later;
        do
            later = await server.NextAsync();
        while (!later.Body.Contains("\"phase\":\"reconciling\""));
        await reporter.StopAsync(CancellationToken.None);

        Assert.Equal(("PUT", "/clients/reporter-1"), (first.Method, first.Path));
        Assert.Equal("Bearer " + ReportToken, first.Authorization);
        Assert.StartsWith("application/json", first.ContentType);
        Assert.Equal(first.Body.Length, first.ContentLength);
        var firstReport = JsonSerializer.Deserialize(first.Body, DlopboxJsonContext.Default.ClientProgress)!;
        Assert.Equal((ClientPhase.Starting, 41L, (ReconcileProgress?)null), (firstReport.Phase, firstReport.AppliedOffset, firstReport.Reconcile));
        Assert.Equal(progress.StartedAt, firstReport.StartedAt);
        Assert.Contains("\"phase\":\"starting\"", first.Body);

        var laterReport = JsonSerializer.Deserialize(later.Body, DlopboxJsonContext.Default.ClientProgress)!;
        Assert.Equal(ClientPhase.Reconciling, laterReport.Phase);
        Assert.Equal(new ReconcileProgress { FilesDone = 0, FilesTotal = 10, BytesDone = 0, BytesTotal = 1000 }, laterReport.Reconcile);
        Assert.Equal("reconcile from snapshot failed: connection refused", laterReport.LastError);
        Assert.NotNull(laterReport.LastErrorAt);

        var status = await new ClientStatusStore(_dir.State).LoadAsync(CancellationToken.None);
        Assert.Equal((ClientPhase.Reconciling, 41L, "reporter-1"), (status?.Phase, status?.AppliedOffset, status?.Name));
    }

    [Fact]
    public async Task Reporter_refused_for_its_token_warns_once_and_keeps_reporting()
    {
        await using var server = await RecordingServer.StartAsync();
        server.Answers["PUT /clients/reporter-1"] = (401, """{"title":"A valid bearer token is required."}""");
        var progress = new SyncProgress(TimeProvider.System);
        var log = new RecordingLogger<ProgressReporter>();
        var reporter = CreateReporter(server.Url, progress, new AppliedOffsetTracker(), out var services, log);
        using var _ = services;

        await reporter.StartAsync(CancellationToken.None);
        await server.NextAsync();
        progress.SetPhase(ClientPhase.Reconciling);
        await server.NextAsync();
        progress.SetPhase(ClientPhase.Following);
        await server.NextAsync();
        await reporter.StopAsync(CancellationToken.None);

        var warning = Assert.Single(log.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Contains("refuses this client's progress reports (401)", warning.Message);
        Assert.Contains("Client__Token", warning.Message);
    }

    [Fact]
    public async Task Reporter_without_an_interface_still_keeps_the_status_file()
    {
        var progress = new SyncProgress(TimeProvider.System);
        var offsets = new AppliedOffsetTracker();
        offsets.Reset(7);
        var reporter = CreateReporter("http://127.0.0.1:1", progress, offsets, out var services);
        using var _ = services;

        await reporter.StartAsync(CancellationToken.None);
        progress.SetPhase(ClientPhase.Disconnected);
        await reporter.StopAsync(CancellationToken.None);

        var status = await new ClientStatusStore(_dir.State).LoadAsync(CancellationToken.None);
        Assert.Equal((ClientPhase.Disconnected, 7L), (status?.Phase, status?.AppliedOffset));
    }

    [Fact]
    public void Reports_cut_an_overlong_error_to_what_the_interface_accepts()
    {
        var progress = new SyncProgress(TimeProvider.System);
        var reporter = CreateReporter("http://127.0.0.1:1", progress, new AppliedOffsetTracker(), out var services);
        using var _ = services;

        progress.RecordError(new string('x', 5000));

        var report = reporter.Snapshot();
        Assert.Equal(ProgressReporter.MaxErrorLength, report.LastError!.Length);
        Assert.Equal(-1, report.AppliedOffset);
    }
}
