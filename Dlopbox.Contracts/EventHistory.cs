namespace Dlopbox.Contracts;

/// <summary>One entry of the event log: a change as the stream carried it, with its offset (its unique key).</summary>
public sealed record LoggedEvent
{
    public required long Offset { get; init; }

    public required FileChange Change { get; init; }

    public required string Source { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>
/// A page of <c>GET /events</c>. <see cref="Next"/> is the value to pass as <c>after</c> for the next page,
/// null on the last one.
/// </summary>
public sealed record EventPage(IReadOnlyList<LoggedEvent> Events, long? Next = null);
