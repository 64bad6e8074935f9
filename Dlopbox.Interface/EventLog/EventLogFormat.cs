using Dlopbox.Contracts;

namespace Dlopbox.Interface.EventLog;

/// <summary>What both stores write and read the same way.</summary>
internal static class EventLogFormat
{
    public static string KindName(ChangeKind kind) => kind.ToString().ToLowerInvariant();

    public static ChangeKind ParseKind(string name) => Enum.Parse<ChangeKind>(name, ignoreCase: true);

    /// <summary>A page from a query that asked for one more than the limit, to know whether a next page exists.</summary>
    public static EventPage Page(List<LoggedEvent> events, int limit) =>
        events.Count > limit
            ? new EventPage(events[..limit], events[limit - 1].Offset)
            : new EventPage(events, null);
}
