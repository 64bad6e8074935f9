using Dlopbox.Embedded;
using Dlopbox.Tests.Integration;

namespace Dlopbox.Tests.Telemetry;

/// <summary>
/// The real system with every service writing its spans to a file of its own (<see cref="TraceFileVariable"/>):
/// the services are separate processes, so the test reads what they exported from those files.
/// </summary>
public sealed class TracedSystemFixture() : EmbeddedSystemFixture("telemetry")
{
    /// <summary>The variable ServiceDefaults reads for the span file.</summary>
    public const string TraceFileVariable = Dlopbox.ServiceDefaults.ServiceDefaultsExtensions.TraceFileVariable;

    public string SpanDir => Path.Combine(Root, "spans");

    protected override IEnumerable<string> ArtifactDirs => [SpanDir];

    protected override EmbeddedSystemOptions Configure(EmbeddedSystemOptions options) => options with
    {
        ServiceEnvironment = new Dictionary<string, string?>
        {
            [TraceFileVariable] = Path.Combine(SpanDir, "spans-{service}.jsonl"),
        },
    };
}

[CollectionDefinition(Name)]
public sealed class TelemetryCollection : ICollectionFixture<TracedSystemFixture>
{
    public const string Name = "telemetry";
}
