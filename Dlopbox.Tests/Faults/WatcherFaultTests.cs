using System.Diagnostics;
using Dlopbox.Embedded;
using Xunit.Abstractions;
using static Dlopbox.Tests.Faults.FaultAssert;

namespace Dlopbox.Tests.Faults;

/// <summary>The watcher's side: changes made while it was dead, a file rewritten all the time, editors' save dances.</summary>
[Collection(FaultCollection.Name)]
public sealed class WatcherFaultTests(FaultSystemFixture fixture, ITestOutputHelper output)
{
    private EmbeddedSystem System => fixture.System;

    [Fact]
    public async Task S06_Changes_made_while_the_watcher_was_killed_are_all_sent_by_its_startup_diff()
    {
        const string dir = "s06";
        Directory.CreateDirectory(fixture.Master($"{dir}/folder"));
        foreach (var name in new[] { "modify.txt", "delete.txt", "rename.txt" })
            await File.WriteAllTextAsync(fixture.Master($"{dir}/{name}"), $"{name} before\n");
        for (var i = 0; i < 20; i++)
            await File.WriteAllTextAsync(fixture.Master($"{dir}/folder/f{i}.txt"), $"folder file {i}\n");
        await fixture.ConvergeAsync();

        await System.Watcher.KillAsync();
        await File.WriteAllTextAsync(fixture.Master($"{dir}/create.txt"), "created while the watcher was dead\n");
        await File.AppendAllTextAsync(fixture.Master($"{dir}/modify.txt"), "and modified\n");
        File.Delete(fixture.Master($"{dir}/delete.txt"));
        File.Move(fixture.Master($"{dir}/rename.txt"), fixture.Master($"{dir}/renamed.txt"));
        Directory.Move(fixture.Master($"{dir}/folder"), fixture.Master($"{dir}/folder-renamed"));
        var accessMark = System.Files.ReadAccessLog().Count;

        var clock = Stopwatch.StartNew();
        await fixture.StartAsync(System.Watcher);
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "6 watcher SIGKILL, create/modify/delete/rename while down", clock.Elapsed, "from watcher start");

        // Renames arrive as renames: the replicas fetch only the new and the modified file.
        foreach (var client in System.Clients)
            Assert.Equal([$"{dir}/create.txt", $"{dir}/modify.txt"], DownloadsSince(System.Files, accessMark, client).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task S08_A_file_appended_to_many_times_a_second_ends_final_without_thrashing()
    {
        const string dir = "s08";
        Directory.CreateDirectory(fixture.Master(dir));
        var path = fixture.Master($"{dir}/app.log");
        var accessMark = System.Files.ReadAccessLog().Count;
        var appends = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            // Open, append, close: each append is a close-write, like a logger that reopens its file.
            await File.AppendAllTextAsync(path, $"{DateTimeOffset.UtcNow:O} line {appends++} of the log\n");
            await Task.Delay(5);
        }

        clock.Restart();
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "8 file appended ~every 5 ms for 3 s", clock.Elapsed, $"{appends} appends");

        foreach (var client in System.Clients)
        {
            var downloads = DownloadsSince(System.Files, accessMark, client).Count(p => p == $"{dir}/app.log");
            output.WriteLine($"{client.Name}: {downloads} downloads of app.log for {appends} appends");
            Assert.True(downloads <= appends / 5, $"{client.Name} fetched app.log {downloads} times for {appends} appends");
        }
    }

    [Fact]
    public async Task S09_sed_in_place_and_a_vim_style_save_with_backup()
    {
        const string dir = "s09";
        Directory.CreateDirectory(fixture.Master(dir));
        await File.WriteAllTextAsync(fixture.Master($"{dir}/config.ini"), "mode = draft\n");
        await File.WriteAllTextAsync(fixture.Master($"{dir}/notes.txt"), "first\n");
        await fixture.ConvergeAsync();

        // sed -i: a temp file (sedXXXXXX) in the same dir, renamed over the original.
        await ShellAsync(fixture.Master(dir), "sed -i 's/draft/final/' config.ini");
        // vim (backupcopy=no): the original is renamed to a backup, the new text written anew, the backup removed.
        await ShellAsync(fixture.Master(dir), "mv notes.txt notes.txt~ && printf 'second\\n' > notes.txt && rm notes.txt~");

        var clock = Stopwatch.StartNew();
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "9 sed -i and a vim-style save", clock.Elapsed);
        Assert.Equal("mode = final\n", await File.ReadAllTextAsync(Path.Combine(fixture.Replica(fixture.Client1), dir, "config.ini")));
    }
}
