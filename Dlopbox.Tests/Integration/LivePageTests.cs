using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Dlopbox.Contracts;

namespace Dlopbox.Tests.Integration;

/// <summary>The status page's parts on the real system: the page itself, the live feed (SSE) and the clients' reports.</summary>
[Collection(SystemCollection.Name)]
public sealed class LivePageTests(SyncSystemFixture system) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http = new() { BaseAddress = new Uri(system.System.Interface.Url), Timeout = Timeout.InfiniteTimeSpan };

    [Fact]
    public async Task The_page_is_served_at_the_root_with_a_policy_that_forbids_inline_and_foreign_script()
    {
        var page = await _http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"app.js\" defer></script>", html);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);

        var script = await _http.GetAsync("/app.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        // Paths are anyone's input: the page must never hand them to the HTML parser.
        Assert.DoesNotContain("innerHTML", await script.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/app.css")).StatusCode);
    }

    [Fact]
    public async Task A_change_in_the_master_arrives_in_the_live_feed_with_kind_path_and_size()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var feed = await LiveFeedReader.OpenAsync(_http, "/live", null, cts.Token);
        var status = await feed.NextAsync("status", cts.Token);
        var first = JsonSerializer.Deserialize(status.Data, DlopboxJsonContext.Default.LiveStatus)!;
        Assert.Equal(system.System.Files.BaseUrl + WireNames.FilesPathPrefix, first.FilesUrl);
        Assert.NotEmpty(first.Throughput);

        var name = $"live/feed-{Guid.NewGuid():N}.txt";
        Directory.CreateDirectory(Path.Combine(system.MasterDir, "live"));
        await File.WriteAllTextAsync(Path.Combine(system.MasterDir, name), "seen live");

        var change = await feed.NextChangeAsync(e => e.Change.Path == name && e.Change.Kind == ChangeKind.Write, cts.Token);
        Assert.Equal(9, change.Event.Change.Size);
        Assert.Equal(change.Event.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), change.Id);
        Assert.Null(change.Event.Change.TraceParent);

        // The throughput chart counts it in a recent slice.
        var later = await feed.NextStatusAsync(s => s.HeadOffset >= change.Event.Offset, cts.Token);
        Assert.True(later.Throughput.Sum(b => b.Events) >= 1, "the write is counted in the throughput");
        Assert.True(later.Throughput.Sum(b => b.Bytes) >= 9, "its bytes are counted");
    }

    [Fact]
    public async Task A_reconnecting_page_resumes_after_the_last_event_it_saw()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var names = Enumerable.Range(0, 3).Select(i => $"live/resume-{Guid.NewGuid():N}-{i}").ToList();
        Directory.CreateDirectory(Path.Combine(system.MasterDir, "live"));
        long firstOffset;
        await using (var feed = await LiveFeedReader.OpenAsync(_http, "/live", null, cts.Token))
        {
            await File.WriteAllTextAsync(Path.Combine(system.MasterDir, names[0]), "0");
            firstOffset = (await feed.NextChangeAsync(e => e.Change.Path == names[0], cts.Token)).Event.Offset;
        }
        // Written while the page is away.
        await File.WriteAllTextAsync(Path.Combine(system.MasterDir, names[1]), "1");
        await File.WriteAllTextAsync(Path.Combine(system.MasterDir, names[2]), "2");
        await system.AssertConvergedAsync();

        await using var resumed = await LiveFeedReader.OpenAsync(_http, "/live", firstOffset, cts.Token);
        var seen = new List<LoggedEvent>();
        while (!seen.Any(e => e.Change.Path == names[2]))
            seen.Add((await resumed.NextChangeAsync(_ => true, cts.Token)).Event);
        Assert.All(seen, e => Assert.True(e.Offset > firstOffset, $"offset {e.Offset} was already seen"));
        Assert.Contains(seen, e => e.Change.Path == names[1]);
    }

    [Fact]
    public async Task The_running_client_reports_in_and_shows_up_in_sync()
    {
        var name = $"live/report-{Guid.NewGuid():N}.txt";
        Directory.CreateDirectory(Path.Combine(system.MasterDir, "live"));
        await File.WriteAllTextAsync(Path.Combine(system.MasterDir, name), "report");
        await system.AssertConvergedAsync();

        // Reports come every couple of seconds: wait for one that has the write applied.
        using var cts = new CancellationTokenSource(Deadline);
        ClientsOverview overview;
        while (true)
        {
            overview = (await _http.GetFromJsonAsync(WireNames.ClientsRoute, DlopboxJsonContext.Default.ClientsOverview, cts.Token))!;
            if (overview.Clients.FirstOrDefault(c => c.Name == "client-1") is { LagEvents: 0, Progress.Phase: ClientPhase.Following })
                break;
            await Task.Delay(200, cts.Token);
        }
        var client = overview.Clients.Single(c => c.Name == "client-1");
        Assert.Equal(overview.HeadOffset, client.Progress.AppliedOffset);
        Assert.True(DateTimeOffset.UtcNow - client.LastSeen < TimeSpan.FromMinutes(1));

        var one = await _http.GetFromJsonAsync($"{WireNames.ClientsRoute}/client-1", DlopboxJsonContext.Default.ClientStatus);
        Assert.Equal("client-1", one!.Name);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"{WireNames.ClientsRoute}/nobody-here")).StatusCode);
    }

    [Fact]
    public async Task A_report_is_checked_and_bad_ones_get_400_problem_json()
    {
        var good = new ClientProgress { Phase = ClientPhase.Reconciling, AppliedOffset = -1, Reconcile = new() { FilesDone = 1, FilesTotal = 4, BytesDone = 10, BytesTotal = 40 } };
        var put = await PutRawAsync("test-reporter", JsonSerializer.Serialize(good, DlopboxJsonContext.Default.ClientProgress));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var stored = await _http.GetFromJsonAsync($"{WireNames.ClientsRoute}/test-reporter", DlopboxJsonContext.Default.ClientStatus);
        Assert.Equal(good, stored!.Progress);

        await AssertProblemAsync(await PutRawAsync("bad%20name", """{"phase":"following","appliedOffset":1}"""), "name");
        await AssertProblemAsync(await PutRawAsync("test-reporter", """{"phase":"dancing","appliedOffset":1}"""), "$.phase");
        await AssertProblemAsync(await PutRawAsync("test-reporter", """{"phase":"following"}"""), "$");
        await AssertProblemAsync(await PutRawAsync("test-reporter", """{"phase":"following","appliedOffset":-7}"""), "appliedOffset");
        await AssertProblemAsync(await PutRawAsync("test-reporter", """{"phase":"following","appliedOffset":1,"extra":true}"""), "$.extra");
        await AssertProblemAsync(await PutRawAsync("test-reporter", "not json"), "$");
        var huge = await PutRawAsync("test-reporter", $$"""{"phase":"following","appliedOffset":1,"lastError":"{{new string('x', 20_000)}}"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);

        // Nothing bad replaced the good report.
        stored = await _http.GetFromJsonAsync($"{WireNames.ClientsRoute}/test-reporter", DlopboxJsonContext.Default.ClientStatus);
        Assert.Equal(good, stored!.Progress);
    }

    [Fact]
    public async Task A_report_without_the_client_token_gets_401_and_changes_nothing()
    {
        var mine = new ClientProgress { Phase = ClientPhase.Following, AppliedOffset = 7 };
        Assert.Equal(HttpStatusCode.NoContent, (await PutRawAsync("token-check", JsonSerializer.Serialize(mine, DlopboxJsonContext.Default.ClientProgress))).StatusCode);

        const string forged = """{"phase":"disconnected","appliedOffset":1}""";
        foreach (var token in new[] { null, "", "not-the-client-token", system.System.WatcherToken })
        {
            var refused = await PutRawAsync("token-check", forged, token);
            await ProblemJson.AssertAsync(refused, HttpStatusCode.Unauthorized);
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        }
        // A refused report is refused before its name is looked at: no row for a new name either.
        await ProblemJson.AssertAsync(await PutRawAsync("forged-client", forged, token: null), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"{WireNames.ClientsRoute}/forged-client")).StatusCode);

        var stored = await _http.GetFromJsonAsync($"{WireNames.ClientsRoute}/token-check", DlopboxJsonContext.Default.ClientStatus);
        Assert.Equal(mine, stored!.Progress);
    }

    /// <summary>A report as the system's clients send it: with the client token.</summary>
    private Task<HttpResponseMessage> PutRawAsync(string name, string body) => PutRawAsync(name, body, system.System.ClientToken);

    private async Task<HttpResponseMessage> PutRawAsync(string name, string body, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{WireNames.ClientsRoute}/{name}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (token is not null)
            request.Headers.Authorization = new("Bearer", token);
        return await _http.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string field)
    {
        var errors = (await ProblemJson.AssertAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.EnumerateObject().Any(e => e.Name.StartsWith(field, StringComparison.Ordinal)), errors.ToString());
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Reads <c>GET /live</c> as a browser's EventSource would.</summary>
    private sealed class LiveFeedReader : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly IAsyncEnumerator<SseItem<string>> _items;

        private LiveFeedReader(HttpResponseMessage response, Stream body)
        {
            _response = response;
            _items = SseParser.Create(body).EnumerateAsync().GetAsyncEnumerator();
        }

        public static async Task<LiveFeedReader> OpenAsync(HttpClient http, string path, long? lastEventId, CancellationToken cancellationToken)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (lastEventId is { } id)
                request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new LiveFeedReader(response, await response.Content.ReadAsStreamAsync(cancellationToken));
        }

        public async Task<SseItem<string>> NextAsync(string eventType, CancellationToken cancellationToken)
        {
            while (await _items.MoveNextAsync().AsTask().WaitAsync(cancellationToken))
            {
                if (_items.Current.EventType == eventType)
                    return _items.Current;
            }
            throw new InvalidOperationException("The live feed ended.");
        }

        public async Task<(LoggedEvent Event, string? Id)> NextChangeAsync(Func<LoggedEvent, bool> match, CancellationToken cancellationToken)
        {
            while (true)
            {
                var item = await NextAsync("change", cancellationToken);
                var logged = JsonSerializer.Deserialize(item.Data, DlopboxJsonContext.Default.LoggedEvent)!;
                if (match(logged))
                    return (logged, item.EventId);
            }
        }

        public async Task<LiveStatus> NextStatusAsync(Func<LiveStatus, bool> match, CancellationToken cancellationToken)
        {
            while (true)
            {
                var status = JsonSerializer.Deserialize((await NextAsync("status", cancellationToken)).Data, DlopboxJsonContext.Default.LiveStatus)!;
                if (match(status))
                    return status;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _response.Dispose();
            try
            {
                await _items.DisposeAsync();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
            {
            }
        }
    }
}
