using System.Net;
using System.Text.Json;
using Dlopbox.Contracts;
using Dlopbox.Tests.Client;
using Dlopbox.Watcher;
using Dlopbox.Watcher.Changes;
using Dlopbox.Watcher.Sending;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dlopbox.Tests.Watcher;

public class EventSenderTests
{
    /// <summary>Answers each POST with the next status of a script (the last one repeats) and records the batches.</summary>
    private sealed class ScriptedInterface(params Func<EventBatch, HttpStatusCode>[] script) : HttpMessageHandler, IHttpClientFactory
    {
        private int _calls;

        public List<(EventBatch Batch, string? Authorization, HttpStatusCode Status)> Requests { get; } = [];

        /// <summary>The body of every answer.</summary>
        public string Body { get; init; } = """{"title":"bad path"}""";

        public HttpClient CreateClient(string name) => new(this, disposeHandler: false) { BaseAddress = new Uri("http://interface") };

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Assert.Equal(HttpMethod.Post, request.Method);
            Assert.Equal("/events", request.RequestUri!.AbsolutePath);
            var batch = JsonSerializer.Deserialize(await request.Content!.ReadAsStreamAsync(cancellationToken),
                DlopboxJsonContext.Default.EventBatch)!;
            var status = script[Math.Min(_calls++, script.Length - 1)](batch);
            if (status == 0)
                throw new HttpRequestException("Connection refused");
            Requests.Add((batch, request.Headers.Authorization?.ToString(), status));
            return new HttpResponseMessage(status)
            {
                Content = new StringContent(Body, System.Text.Encoding.UTF8, "application/problem+json"),
            };
        }
    }

    private static readonly FileChange[] Changes =
        [.. Enumerable.Range(0, 8).Select(i => FileChange.Write($"f{i}", i, DateTimeOffset.UnixEpoch, new string('a', 64)))];

    private static (EventSender Sender, WatcherState State) Sender(ScriptedInterface api, ILogger<EventSender>? logger = null)
    {
        var state = new WatcherState();
        var options = Options.Create(new WatcherOptions { Token = "secret", Source = "test-host" });
        var sender = new EventSender(api, options, state, logger ?? NullLogger<EventSender>.Instance, TestTelemetry.Watcher(), TimeProvider.System)
        {
            FirstRetryDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(5),
        };
        return (sender, state);
    }

    [Fact]
    public async Task Posts_the_batch_with_source_and_bearer_token()
    {
        var api = new ScriptedInterface(_ => HttpStatusCode.Accepted);

        var accepted = (await Sender(api).Sender.DeliverAsync(Changes, CancellationToken.None)).Accepted;

        Assert.Equal(Changes, accepted);
        var (batch, authorization, _) = Assert.Single(api.Requests);
        Assert.Equal("test-host", batch.Source);
        Assert.Equal(Changes, batch.Events);
        Assert.Equal("Bearer secret", authorization);
    }

    [Fact]
    public async Task The_accepted_answer_names_the_stream_epoch()
    {
        var api = new ScriptedInterface(_ => HttpStatusCode.Accepted) { Body = """{"accepted":8,"epoch":"e-42"}""" };

        var delivery = await Sender(api).Sender.DeliverAsync(Changes, CancellationToken.None);

        Assert.Equal(Changes, delivery.Accepted);
        Assert.Equal(new StreamEpoch("e-42"), delivery.Epoch);
    }

    [Fact]
    public async Task A_legacy_answer_is_the_null_epoch_and_an_unreadable_one_is_unknown()
    {
        var legacy = new ScriptedInterface(_ => HttpStatusCode.Accepted) { Body = """{"accepted":8}""" };
        Assert.Equal(new StreamEpoch(null), (await Sender(legacy).Sender.DeliverAsync(Changes, CancellationToken.None)).Epoch);

        var unreadable = new ScriptedInterface(_ => HttpStatusCode.Accepted) { Body = "" };
        var delivery = await Sender(unreadable).Sender.DeliverAsync(Changes, CancellationToken.None);
        Assert.Equal(Changes, delivery.Accepted);
        Assert.Null(delivery.Epoch);
    }

    [Fact]
    public async Task An_empty_batch_probes_the_epoch_and_a_refusal_is_unknown()
    {
        var api = new ScriptedInterface(_ => HttpStatusCode.Accepted) { Body = """{"accepted":0,"epoch":"e-1"}""" };
        var probe = await Sender(api).Sender.DeliverAsync([], CancellationToken.None);
        Assert.Empty(probe.Accepted);
        Assert.Equal(new StreamEpoch("e-1"), probe.Epoch);
        Assert.Empty(Assert.Single(api.Requests).Batch.Events);

        var old = new ScriptedInterface(_ => HttpStatusCode.BadRequest);
        Assert.Null((await Sender(old).Sender.DeliverAsync([], CancellationToken.None)).Epoch);
    }

    [Fact]
    public async Task Outages_are_retried_until_accepted()
    {
        var api = new ScriptedInterface(_ => 0, _ => HttpStatusCode.ServiceUnavailable, _ => HttpStatusCode.Unauthorized,
            _ => HttpStatusCode.InternalServerError, _ => HttpStatusCode.Accepted);
        var (sender, state) = Sender(api);

        var accepted = (await sender.DeliverAsync(Changes, CancellationToken.None)).Accepted;

        Assert.Equal(Changes, accepted);
        Assert.Equal(HttpStatusCode.Accepted, api.Requests[^1].Status);
        Assert.All(api.Requests, r => Assert.Equal(Changes, r.Batch.Events));
        Assert.Null(state.InterfaceUnavailableSince);
    }

    [Fact]
    public async Task An_outage_is_logged_once_when_it_starts_and_once_when_it_ends()
    {
        var api = new ScriptedInterface(_ => 0, _ => HttpStatusCode.ServiceUnavailable, _ => 0,
            _ => HttpStatusCode.InternalServerError, _ => HttpStatusCode.Accepted);
        var log = new RecordingLogger<EventSender>();
        var (sender, state) = Sender(api, log);

        await sender.DeliverAsync(Changes, CancellationToken.None);
        await sender.DeliverAsync(Changes, CancellationToken.None);

        var started = Assert.Single(log.Entries, e => e.Level >= LogLevel.Warning);
        Assert.StartsWith("The Interface does not take events (HttpRequestException: Connection refused)", started.Message);
        var ended = Assert.Single(log.Entries, e => e.Message.StartsWith("The Interface takes events again", StringComparison.Ordinal));
        Assert.EndsWith("and 4 failed attempts", ended.Message);
        Assert.Null(state.InterfaceUnavailableSince);
    }

    [Fact]
    public async Task Too_large_batches_are_split_in_halves()
    {
        var api = new ScriptedInterface(b => b.Events.Count > 2 ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.Accepted);

        var accepted = (await Sender(api).Sender.DeliverAsync(Changes, CancellationToken.None)).Accepted;

        Assert.Equal(Changes, accepted);
        Assert.Equal([8, 4, 2, 2, 4, 2, 2], api.Requests.Select(r => r.Batch.Events.Count));
    }

    [Fact]
    public async Task A_bad_request_is_halved_until_only_the_refused_event_is_dropped_and_none_is_retried()
    {
        // The Interface refuses a whole batch for one event it will not take (here f2 and f5).
        var api = new ScriptedInterface(b => b.Events.Any(e => e.Path is "f2" or "f5") ? HttpStatusCode.BadRequest : HttpStatusCode.Accepted);

        var accepted = (await Sender(api).Sender.DeliverAsync(Changes, CancellationToken.None)).Accepted;

        Assert.Equal(Changes.Where(c => c.Path is not ("f2" or "f5")), accepted);
        Assert.Equal(["f0-f7", "f0-f3", "f0-f1", "f2-f3", "f2", "f3", "f4-f7", "f4-f5", "f4", "f5", "f6-f7"],
            api.Requests.Select(r => r.Batch.Events.Count == 1 ? r.Batch.Events[0].Path : $"{r.Batch.Events[0].Path}-{r.Batch.Events[^1].Path}"));
        // Each refused event was posted once on its own, never retried.
        Assert.Equal(1, api.Requests.Count(r => r.Batch.Events is [{ Path: "f2" }]));
    }

    [Fact]
    public async Task Cancellation_stops_the_retries()
    {
        var api = new ScriptedInterface(_ => HttpStatusCode.ServiceUnavailable);
        var (sender, state) = Sender(api);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sender.DeliverAsync(Changes, cts.Token));
        Assert.NotNull(state.InterfaceUnavailableSince);
    }
}
