using Dlopbox.Embedded;

namespace Dlopbox.Tests.Integration;

/// <summary>
/// One real system for a test collection: a temp root holding the master, the replicas and the state;
/// the system started once; at the end stopped, its logs kept under artifacts/test-results/logs/{name},
/// and the root deleted. Subclasses say only how their system differs.
/// </summary>
public abstract class EmbeddedSystemFixture(string name) : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"dlopbox-{name}-" + Guid.NewGuid().ToString("N")[..8]);

    public string MasterDir => Path.Combine(Root, "master");

    /// <summary>One replica dir by default.</summary>
    public virtual IReadOnlyList<string> ReplicaDirs => [Path.Combine(Root, "replica")];

    public string ReplicaDir => ReplicaDirs[0];

    public EmbeddedSystem System { get; private set; } = null!;

    /// <summary>Dirs besides the services' logs worth keeping for a failed CI run to show.</summary>
    protected virtual IEnumerable<string> ArtifactDirs => [];

    /// <summary>What this system changes in the options (Interface settings, service environment…).</summary>
    protected virtual EmbeddedSystemOptions Configure(EmbeddedSystemOptions options) => options;

    public async Task InitializeAsync()
    {
        System = await EmbeddedSystem.StartAsync(Configure(new EmbeddedSystemOptions
        {
            MasterDir = MasterDir,
            ReplicaDirs = ReplicaDirs,
            StateDir = Path.Combine(Root, "state"),
        }), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (System is not null)
            await System.DisposeAsync();
        foreach (var dir in ArtifactDirs.Prepend(Path.Combine(Root, "state", "logs")))
            TestLogs.Keep(dir, name);
        Directory.Delete(Root, recursive: true);
    }
}
