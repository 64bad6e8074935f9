using Dlopbox.Embedded;
using Dlopbox.Tests.Integration;

namespace Dlopbox.Tests.Telemetry;

/// <summary>
/// The real system with every service writing its spans to a file of its own (<see cref="TraceFileVariable"/>):
/// the services are separate processes, so the test reads what they exported from those files.
/// </summary>
public sealed class TracedSystemFixture : IAsyncLifetime
{
    /// <summary>ServiceDefaults' <c>Extensions.TraceFileVariable</c> (that class name is ambiguous here: the client has one too).</summary>
    public const string TraceFileVariable = "DLOPBOX_TRACE_FILE";

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "dlopbox-telemetry-" + Guid.NewGuid().ToString("N")[..8]);

    public string MasterDir => Path.Combine(Root, "master");

    public string ReplicaDir => Path.Combine(Root, "replica");

    public string SpanDir => Path.Combine(Root, "spans");

    public EmbeddedSystem System { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        System = await EmbeddedSystem.StartAsync(new EmbeddedSystemOptions
        {
            MasterDir = MasterDir,
            ReplicaDirs = [ReplicaDir],
            StateDir = Path.Combine(Root, "state"),
            ServiceEnvironment = new Dictionary<string, string?>
            {
                [TraceFileVariable] = Path.Combine(SpanDir, "spans-{service}.jsonl"),
            },
        }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (System is not null)
            await System.DisposeAsync();
        TestLogs.Keep(Path.Combine(Root, "state", "logs"), "telemetry");
        TestLogs.Keep(SpanDir, "telemetry");
        Directory.Delete(Root, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class TelemetryCollection : ICollectionFixture<TracedSystemFixture>
{
    public const string Name = "telemetry";
}
