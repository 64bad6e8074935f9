using System.Text.Json.Serialization;

namespace Dlopbox.Contracts;

/// <summary>What a client is doing right now.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ClientPhase>))]
public enum ClientPhase
{
    /// <summary>Started, has not yet decided between resuming and a snapshot.</summary>
    [JsonStringEnumMemberName("starting")] Starting,

    /// <summary>Making the replica equal to a snapshot (first run, or after retention dropped events it needed).</summary>
    [JsonStringEnumMemberName("reconciling")] Reconciling,

    /// <summary>Subscribed to the stream and applying events as they come.</summary>
    [JsonStringEnumMemberName("following")] Following,

    /// <summary>Lost the broker; retrying from its applied offset.</summary>
    [JsonStringEnumMemberName("disconnected")] Disconnected,
}

/// <summary>How far an initial sync (reconcile from a snapshot) has come.</summary>
public sealed record ReconcileProgress
{
    public required long FilesDone { get; init; }

    public required long FilesTotal { get; init; }

    public required long BytesDone { get; init; }

    public required long BytesTotal { get; init; }
}

/// <summary>
/// A client's report of where its replica stands, sent to <c>PUT /clients/{name}</c> every few seconds
/// (and when its phase changes). Small on purpose: it is all the Interface keeps about a client.
/// </summary>
public sealed record ClientProgress
{
    public required ClientPhase Phase { get; init; }

    /// <summary>Highest offset up to which every event is applied; -1 before the first.</summary>
    public required long AppliedOffset { get; init; }

    /// <summary>Now − when the Interface received the oldest event not yet applied; 0 when caught up.</summary>
    public double LagSeconds { get; init; }

    /// <summary>Set while <see cref="Phase"/> is <see cref="ClientPhase.Reconciling"/>.</summary>
    public ReconcileProgress? Reconcile { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>
    /// Local changes to the replica (made by someone other than the client) put back to the master's state since
    /// the client started: files downloaded again, extras deleted, dirs, links and modes restored. 0 from older clients.
    /// </summary>
    public long Repaired { get; init; }
}

/// <summary>One client as the Interface knows it: its last report, when that came, and its lag against the stream head.</summary>
public sealed record ClientStatus
{
    public required string Name { get; init; }

    public required ClientProgress Progress { get; init; }

    public required DateTimeOffset LastSeen { get; init; }

    /// <summary>Stream head − applied offset, as the Interface sees the head; null while either is unknown.</summary>
    public long? LagEvents { get; init; }
}

/// <summary><c>GET /clients</c>: every client that reported in, and the stream head their lag is measured against.</summary>
public sealed record ClientsOverview(long HeadOffset, IReadOnlyList<ClientStatus> Clients);

/// <summary>Events and bytes written in one slice of time, by when the Interface received them.</summary>
public sealed record ThroughputBucket(DateTimeOffset Start, long Events, long Bytes);

/// <summary>
/// The periodic <c>status</c> message of the live feed (<c>GET /live</c>): the stream head, throughput over the
/// last minutes, the clients, and where files are served (for links), so one connection keeps a page current.
/// </summary>
public sealed record LiveStatus
{
    public required long HeadOffset { get; init; }

    public required DateTimeOffset ServerTime { get; init; }

    public required int BucketSeconds { get; init; }

    public required IReadOnlyList<ThroughputBucket> Throughput { get; init; }

    public required IReadOnlyList<ClientStatus> Clients { get; init; }

    /// <summary>Base URL a master path is appended to (URL-encoded) to download it from nginx; null when not configured.</summary>
    public string? FilesUrl { get; init; }
}

/// <summary>What a client name may be: it is a URL segment and a label on the page and in metrics.</summary>
public static class ClientNames
{
    public const int MaxLength = 64;

    /// <summary>The rule of <see cref="IsValid"/> in words, for every message that refuses a name.</summary>
    public static readonly string Rule = $"1 to {MaxLength} letters, digits, '.', '_' or '-'";

    /// <summary>1–64 of letters, digits, '.', '_' and '-'.</summary>
    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
