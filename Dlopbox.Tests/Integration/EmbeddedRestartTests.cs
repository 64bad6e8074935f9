using Dlopbox.Embedded;

namespace Dlopbox.Tests.Integration;

/// <summary>
/// `./dlopbox up` run again on the same state dir, as a user does day after day: the broker keeps its stream,
/// so every saved offset still means what it meant; and when the broker's data is gone, the offsets that
/// referred to the old stream are cleared rather than left to skip the new one.
/// </summary>
public sealed class EmbeddedRestartTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "dlopbox-restart-" + Guid.NewGuid().ToString("N")[..8]);

    private string Master => Path.Combine(_root, "master");

    private string Replica => Path.Combine(_root, "replica");

    private string State => Path.Combine(_root, "state");

    [Fact]
    public async Task A_system_started_again_resumes_on_its_stream_and_one_whose_broker_lost_its_data_starts_over()
    {
        try
        {
            await using (var first = await StartAsync())
            {
                Assert.Empty(first.ClearedState);
                await File.WriteAllTextAsync(Path.Combine(Master, "keep.txt"), "kept");
                await File.WriteAllTextAsync(Path.Combine(Master, "gone.txt"), "deleted while stopped");
                await TreeAssert.ConvergesAsync(Master, Replica, Deadline);
            }

            // Changes while nothing runs: the watcher's startup diff sends them on the same stream.
            File.Delete(Path.Combine(Master, "gone.txt"));
            await File.WriteAllTextAsync(Path.Combine(Master, "while-stopped.txt"), "written while stopped");
            await using (var second = await StartAsync())
            {
                Assert.Empty(second.ClearedState);
                await TreeAssert.ConvergesAsync(Master, Replica, Deadline);
                await File.WriteAllTextAsync(Path.Combine(Master, "live-2.txt"), "second run");
                await TreeAssert.ConvergesAsync(Master, Replica, Deadline);
            }

            // The broker's data is lost (or the state dir predates a broker that kept it): its stream starts at 0 again.
            Directory.Delete(Path.Combine(State, "rabbitmq"), recursive: true);
            File.Delete(Path.Combine(Master, "keep.txt"));
            await File.WriteAllTextAsync(Path.Combine(Master, "while-broker-gone.txt"), "third run");
            await using (var third = await StartAsync())
            {
                Assert.Equal(new[] { "interface", "watcher", "client-1" }.Select(d => Path.Combine(State, d)), third.ClearedState);
                await TreeAssert.ConvergesAsync(Master, Replica, Deadline);
                await File.WriteAllTextAsync(Path.Combine(Master, "live-3.txt"), "third run, live");
                await TreeAssert.ConvergesAsync(Master, Replica, Deadline);
            }
        }
        finally
        {
            TestLogs.Keep(Path.Combine(State, "logs"), "restart");
            Directory.Delete(_root, recursive: true);
        }
    }

    private Task<EmbeddedSystem> StartAsync() => EmbeddedSystem.StartAsync(new EmbeddedSystemOptions
    {
        MasterDir = Master,
        ReplicaDirs = [Replica],
        StateDir = State,
    }, CancellationToken.None);
}
