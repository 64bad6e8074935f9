using System.Diagnostics;
using System.Security.Cryptography;

namespace Dlopbox.Tests.Integration;

/// <summary>
/// The pipeline end to end on real processes: a change in the master dir must reach the replica, and
/// after each step the whole replica tree must equal the whole master tree.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class SyncTests(SyncSystemFixture system)
{
    private string Master(string relative) => Path.Combine(system.MasterDir, relative);

    [Fact]
    public async Task Create_modify_and_delete_a_file()
    {
        Directory.CreateDirectory(Master("cmd"));
        await File.WriteAllTextAsync(Master("cmd/note.txt"), "first version\n");
        await system.AssertConvergedAsync();

        await File.AppendAllTextAsync(Master("cmd/note.txt"), "second line\n");
        await system.AssertConvergedAsync();

        await File.WriteAllBytesAsync(Master("cmd/note.txt"), []);
        await system.AssertConvergedAsync();

        File.Delete(Master("cmd/note.txt"));
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task Rename_a_file_and_a_dir_full_of_files()
    {
        Directory.CreateDirectory(Master("mv/src/inner"));
        for (var i = 0; i < 50; i++)
            await File.WriteAllTextAsync(Master($"mv/src/inner/f{i}.txt"), $"file {i}\n");
        await File.WriteAllTextAsync(Master("mv/alone.txt"), "alone\n");
        await system.AssertConvergedAsync();

        File.Move(Master("mv/alone.txt"), Master("mv/renamed.txt"));
        Directory.Move(Master("mv/src"), Master("mv/dst"));
        await system.AssertConvergedAsync();

        Directory.CreateDirectory(Master("mv/deeper"));
        Directory.Move(Master("mv/dst"), Master("mv/deeper/dst"));
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task Files_written_into_a_just_created_deep_dir_are_not_missed()
    {
        await Shell("mkdir -p deep/a/b/c && echo x > deep/a/b/c/f && mkdir -p deep/q/r/s/t && echo y > deep/q/r/s/t/g");
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task A_burst_of_1000_files_arrives_whole()
    {
        var random = new Random(1000);
        for (var d = 0; d < 10; d++)
        {
            Directory.CreateDirectory(Master($"burst/d{d}"));
            for (var f = 0; f < 100; f++)
            {
                var bytes = new byte[random.Next(1, 16 * 1024)];
                random.NextBytes(bytes);
                await File.WriteAllBytesAsync(Master($"burst/d{d}/f{f}.bin"), bytes);
            }
        }
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task A_file_overwritten_while_it_is_downloaded_ends_with_the_final_content()
    {
        Directory.CreateDirectory(Master("overwrite"));
        for (var round = 0; round < 5; round++)
        {
            // Big enough that each download is still running when the next version lands.
            await File.WriteAllBytesAsync(Master("overwrite/big.bin"), RandomNumberGenerator.GetBytes(24 * 1024 * 1024));
        }
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task Names_with_spaces_unicode_hash_percent_and_question_marks()
    {
        string[] names = ["with space.txt", "hash#tag.txt", "100% sure.txt", "what?.txt", "ünïcødé 日本語.txt", "a+b=c&d.txt", "semi;colon'quote\".txt"];
        Directory.CreateDirectory(Master("names/dir with space #1"));
        foreach (var name in names)
        {
            await File.WriteAllTextAsync(Master("names/" + name), name);
            await File.WriteAllTextAsync(Master("names/dir with space #1/" + name), name + " inner");
        }
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task Empty_dirs_are_created_and_removed()
    {
        Directory.CreateDirectory(Master("empty/one/two"));
        Directory.CreateDirectory(Master("empty/three"));
        await system.AssertConvergedAsync();

        Directory.Delete(Master("empty/one"), recursive: true);
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task An_editor_save_and_a_file_replaced_by_a_dir()
    {
        Directory.CreateDirectory(Master("editor"));
        await File.WriteAllTextAsync(Master("editor/doc.txt"), "draft\n");
        await system.AssertConvergedAsync();

        // vim / sed -i style: write a temp file, then rename it over the original.
        await File.WriteAllTextAsync(Master("editor/.doc.txt.swp"), "final\n");
        File.Move(Master("editor/.doc.txt.swp"), Master("editor/doc.txt"), overwrite: true);
        await system.AssertConvergedAsync();

        File.Delete(Master("editor/doc.txt"));
        Directory.CreateDirectory(Master("editor/doc.txt"));
        await File.WriteAllTextAsync(Master("editor/doc.txt/inside"), "now a dir\n");
        await system.AssertConvergedAsync();

        Directory.Delete(Master("editor/doc.txt"), recursive: true);
        await File.WriteAllTextAsync(Master("editor/doc.txt"), "a file again\n");
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task A_new_replica_catches_up_from_a_snapshot()
    {
        Directory.CreateDirectory(Master("late"));
        for (var i = 0; i < 20; i++)
            await File.WriteAllTextAsync(Master($"late/{i}.txt"), new string('x', i * 100));
        await system.AssertConvergedAsync();

        var lateReplica = Path.Combine(system.Root, "late-replica");
        Directory.CreateDirectory(Path.Combine(lateReplica, "stale"));
        await File.WriteAllTextAsync(Path.Combine(lateReplica, "stale", "not-in-master.txt"), "delete me");
        await system.System.AddClientAsync(lateReplica, CancellationToken.None);
        await system.AssertConvergedAsync(lateReplica);

        // And it follows the stream from there.
        await File.WriteAllTextAsync(Master("late/after.txt"), "after the snapshot");
        await system.AssertConvergedAsync(lateReplica);
        await system.AssertConvergedAsync();
    }

    private async Task Shell(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { WorkingDirectory = system.MasterDir })!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }
}
