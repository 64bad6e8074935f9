using Dlopbox.Embedded;

namespace Dlopbox.Tests.Integration;

/// <summary>
/// The real system, started once for every test of the <see cref="SystemCollection"/>: a private
/// rabbitmq-server, nginx, and the Interface, Watcher and one Client as processes. Tests work on the
/// shared master dir and compare whole trees, so they run one after another.
/// </summary>
public sealed class SyncSystemFixture() : EmbeddedSystemFixture("system")
{
    /// <summary>Waits until the replica equals the master, byte for byte, and fails with the differences if it does not.</summary>
    public Task AssertConvergedAsync(string? replicaDir = null) =>
        TreeAssert.ConvergesAsync(MasterDir, replicaDir ?? ReplicaDir, TimeSpan.FromSeconds(60));
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SyncSystemFixture>
{
    public const string Name = "system";
}

/// <summary>Keeps service logs of a test run under artifacts/test-results/logs, for a failed CI run to show.</summary>
public static class TestLogs
{
    public static void Keep(string logDir, string name)
    {
        if (!Directory.Exists(logDir))
            return;
        var target = Path.Combine(RepoLayout.Root, "artifacts", "test-results", "logs", name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(logDir))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
    }
}
