using System.Text.Json;
using Dlopbox.Contracts;
using RabbitMQ.Client;

namespace Dlopbox.Tests.Integration;

/// <summary>
/// A client never trusts a path, even one that reached the stream without the Interface's checks:
/// it refuses and logs it, writes nothing outside its replica dir, and goes on.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ClientSafetyTests(SyncSystemFixture system)
{
    [Fact]
    public async Task A_stream_message_with_an_escaping_path_is_refused_and_the_client_goes_on()
    {
        var escapes = new[]
        {
            FileChange.Mkdir("../escaped-dir"),
            FileChange.Write("../escaped.txt", 4, DateTimeOffset.UtcNow, new string('0', 64)),
            FileChange.Delete("..", isDir: true),
            new FileChange { Kind = ChangeKind.Move, OldPath = "../state", Path = "stolen", IsDir = true },
        };
        await PublishBehindTheInterfaceAsync(escapes);

        Directory.CreateDirectory(Path.Combine(system.MasterDir, "after-escape"));
        await File.WriteAllTextAsync(Path.Combine(system.MasterDir, "after-escape", "ok.txt"), "still syncing");
        await system.AssertConvergedAsync();

        Assert.False(Directory.Exists(Path.Combine(system.Root, "escaped-dir")));
        Assert.False(File.Exists(Path.Combine(system.Root, "escaped.txt")));
        Assert.True(Directory.Exists(Path.Combine(system.Root, "state")));
        // The refusal reaches the log file through a pipe, maybe a moment after the replica converged.
        var logFile = system.System.Clients[0].LogFile;
        await Eventually.TrueAsync(async () => (await ReadSharedAsync(logFile)).Contains("../escaped.txt", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "client-1 logged the refused '../escaped.txt'");
        Assert.Contains("../escaped.txt", await ReadSharedAsync(logFile));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_stream_that_plants_a_symlink_to_outside_cannot_touch_anything_through_it()
    {
        var outside = Path.Combine(system.Root, "outside-attack");
        Directory.CreateDirectory(outside);
        var victim = Path.Combine(outside, "victim");
        await File.WriteAllTextAsync(victim, "original\n");
        File.SetUnixFileMode(victim, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(Path.Combine(system.MasterDir, "attack-src.txt"), "stays here\n");
        await system.AssertConvergedAsync();
        var before = Describe(outside);

        var now = DateTimeOffset.UtcNow;
        var evil = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("evil"u8));
        await PublishBehindTheInterfaceAsync(
        [
            FileChange.Symlink("attack", outside, now),
            FileChange.Write("attack/victim", 4, now, evil),
            FileChange.Write("attack/planted", 4, now, evil),
            FileChange.Mkdir("attack/sub"),
            FileChange.MoveFile("attack-src.txt", "attack/moved.txt", 11, now, new string('0', 64)),
            FileChange.Symlink("attack/link", "/etc/passwd", now),
            FileChange.Attrib("attack/victim", isDir: false, mode: 0b111_111_111, now),
            FileChange.Delete("attack/victim", isDir: false),
            // Leaves the index as the master is, so the replica converges again.
            FileChange.Delete("attack", isDir: true),
        ]);

        Directory.CreateDirectory(Path.Combine(system.MasterDir, "after-attack"));
        await File.WriteAllTextAsync(Path.Combine(system.MasterDir, "after-attack", "ok.txt"), "still syncing");
        await system.AssertConvergedAsync();

        Assert.Equal(before, Describe(outside));
        var logFile = system.System.Clients[0].LogFile;
        await Eventually.TrueAsync(async () => (await ReadSharedAsync(logFile)).Contains("attack/victim", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "client-1 logged the refused 'attack/victim'");
    }

    /// <summary>Every entry below <paramref name="dir"/> with its kind, mode, size and bytes.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static List<string> Describe(string dir) =>
        [.. Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(path => $"{path} {File.GetUnixFileMode(path)} {(File.Exists(path) ? File.ReadAllText(path) : "dir")}")];

    private async Task PublishBehindTheInterfaceAsync(IEnumerable<FileChange> changes)
    {
        var uri = system.System.Interface.Environment["ConnectionStrings__rabbit"]!;
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        foreach (var change in changes)
        {
            var record = new ChangeRecord { Change = change, Source = "attacker", ReceivedAt = DateTimeOffset.UtcNow };
            await channel.BasicPublishAsync(string.Empty, WireNames.EventStream, mandatory: true,
                new BasicProperties { DeliveryMode = DeliveryModes.Persistent },
                JsonSerializer.SerializeToUtf8Bytes(record, DlopboxJsonContext.Default.ChangeRecord));
        }
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
