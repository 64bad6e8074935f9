using Dlopbox.Contracts;
using Dlopbox.Interface.Index;
using Microsoft.Extensions.Options;

namespace Dlopbox.Interface.Live;

/// <summary>
/// The clients that reported their progress, with when each was last heard from. Kept in memory only: clients
/// report every few seconds, so a restarted Interface knows them all again moments later.
/// </summary>
public sealed class ClientRegistry(MasterIndex index, IOptions<LiveOptions> options, TimeProvider time)
{
    private readonly LiveOptions _settings = options.Value;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (ClientProgress Progress, DateTimeOffset LastSeen)> _clients = new(StringComparer.Ordinal);

    public void Report(string name, ClientProgress progress)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var isNew = !_clients.ContainsKey(name);
            _clients[name] = (progress, now);
            // Only a new name can push the count past the bound; the stale are also forgotten on every read.
            if (isNew)
                ForgetOld(now);
        }
    }

    public ClientStatus? Find(string name)
    {
        var head = index.Offset;
        lock (_lock)
        {
            ForgetOld(time.GetUtcNow());
            return _clients.TryGetValue(name, out var found) ? ToStatus(name, found.Progress, found.LastSeen, head) : null;
        }
    }

    /// <summary>Every known client, by name.</summary>
    public IReadOnlyList<ClientStatus> All() => All(index.Offset);

    /// <summary>The clients with their lag against the same head the overview states.</summary>
    public ClientsOverview Overview()
    {
        var head = index.Offset;
        return new(head, All(head));
    }

    private List<ClientStatus> All(long head)
    {
        lock (_lock)
        {
            ForgetOld(time.GetUtcNow());
            return _clients.OrderBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => ToStatus(c.Key, c.Value.Progress, c.Value.LastSeen, head))
                .ToList();
        }
    }

    private static ClientStatus ToStatus(string name, ClientProgress progress, DateTimeOffset lastSeen, long head) => new()
    {
        Name = name,
        Progress = progress,
        LastSeen = lastSeen,
        // The index may trail a fast client for a moment (both follow the same stream): never report a negative lag.
        LagEvents = head >= 0 && progress.AppliedOffset >= 0 ? Math.Max(0, head - progress.AppliedOffset)
            : head >= 0 ? head + 1
            : null,
    };

    private void ForgetOld(DateTimeOffset now)
    {
        var cutoff = now - _settings.ForgetClientsAfter;
        foreach (var stale in _clients.Where(c => c.Value.LastSeen < cutoff).Select(c => c.Key).ToList())
            _clients.Remove(stale);
        while (_clients.Count > _settings.MaxClients)
            _clients.Remove(_clients.MinBy(c => c.Value.LastSeen).Key);
    }
}
