using System.Diagnostics;
using Xunit.Abstractions;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// Whole trees inside containers, compared: one line per entry (name, kind, size, mode, mtime, link target) and every
/// file's SHA-256, so the same listing in the master and a replica means the same tree. The compose and plain docker
/// end-to-end tests wait on it.
/// </summary>
internal sealed class ContainerTrees(ITestOutputHelper output)
{
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    // GNU find and coreutils are in the official .NET images and in the stand-ins.
    private const string TreeScript =
        """
        cd "$1" && find . -mindepth 1 \( -type d -printf '%P dir %m\n' \) -o \( -type l -printf '%P link %l %T@\n' \) \
          -o \( -type f -printf '%P file %s %m %T@\n' \) -o -printf '%P other\n' | LC_ALL=C sort &&
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
        """;

    /// <summary>Waits until every replica's listing equals the master's; fails, with the difference, after two minutes.</summary>
    public async Task WaitInSyncAsync((string Container, string Dir) master, IReadOnlyList<(string Container, string Dir)> replicas, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var expected = Tree(master.Container, master.Dir);
            var differing = replicas.Select(r => (Replica: r, Tree: Tree(r.Container, r.Dir))).Where(r => r.Tree != expected).ToList();
            if (differing.Count == 0)
            {
                output.WriteLine($"  {what}: {replicas.Count} replica(s) equal the master ({expected.Split('\n').Length} lines of listing)");
                return;
            }
            if (clock.Elapsed > SyncTimeout)
            {
                var (replica, tree) = differing[0];
                var inMaster = expected.Split('\n').ToHashSet();
                var inReplica = tree.Split('\n').ToHashSet();
                Assert.Fail($"Not within {SyncTimeout.TotalSeconds:0} s: {what}: {differing.Count} replica(s) differ from the master; in {Short(replica.Container)}:\n" +
                            $"only in the master:\n  {string.Join("\n  ", inMaster.Except(inReplica).Take(15))}\n" +
                            $"only in the replica:\n  {string.Join("\n  ", inReplica.Except(inMaster).Take(15))}");
            }
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>The listing; while a client still renames or replaces files a file can vanish between find and
    /// sha256sum, so a failed listing is only one that does not equal the master's yet.</summary>
    private static string Tree(string container, string root)
    {
        var result = Tool.Run("docker", ["exec", container, "bash", "-c", TreeScript, "tree", root], timeoutSeconds: 120);
        return result.ExitCode == 0 ? result.Stdout : $"(listing failed with {result.ExitCode}: {result.Stderr.Trim()})\n{result.Stdout}";
    }

    private static string Short(string container) => container.Length > 12 && !container.Contains('-') ? container[..12] : container;
}
