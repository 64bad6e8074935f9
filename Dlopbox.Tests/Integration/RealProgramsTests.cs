using System.Diagnostics;
using Dlopbox.Embedded;
using Dlopbox.Tests.Deployment;
using Xunit.Abstractions;

namespace Dlopbox.Tests.Integration;

/// <summary>
/// What ordinary programs do to a master dir, run for real against the running system in both watcher
/// modes: git (clone, commit, branch, gc), hard links (<c>ln</c>, <c>cp -al</c>), a daemon writing a file
/// it keeps open, symlinks of every kind, chmod and touch with nanoseconds. After each step the whole
/// replica must equal the whole master: names, kinds, bytes, symlink targets, permission bits and mtimes.
/// Each step prints how long the replica took to converge (the figures of the note).
/// </summary>
public abstract class RealProgramsTests(EmbeddedSystemFixture system, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private string Master(string relative) => Path.Combine(system.MasterDir, relative);

    private string Mode => GetType().Name.Contains("Polling", StringComparison.Ordinal) ? "polling" : "inotify";

    private async Task ConvergedAsync(string step)
    {
        var clock = Stopwatch.StartNew();
        await TreeAssert.ConvergesAsync(system.MasterDir, system.ReplicaDir, Bound);
        output.WriteLine($"converged [{Mode}] {step}: {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    private Tool.Result Sh(string script, string? dir = null)
    {
        var result = Tool.Run("bash", ["-euo", "pipefail", "-c", script], workingDirectory: dir ?? system.MasterDir);
        Assert.True(result.ExitCode == 0, $"`{script}` failed ({result.ExitCode}): {result.Output}");
        return result;
    }

    [Fact]
    public async Task Hard_links_made_by_ln_and_cp_al_arrive_as_files_of_their_own()
    {
        var top = $"links-{Mode}";
        Sh($"mkdir -p {top}/src/sub && printf 'one\\n' > {top}/src/a && printf 'two\\n' > {top}/src/sub/b && chmod 755 {top}/src/sub/b");
        await ConvergedAsync("files before linking");

        // link(2) makes a complete file with no close-write: no waiting for the rescan.
        Sh($"ln {top}/src/a {top}/a-linked");
        await ConvergedAsync("ln");
        Sh($"cp -al {top}/src {top}/copy");
        await ConvergedAsync("cp -al");
        Assert.Equal("two\n", await File.ReadAllTextAsync(Path.Combine(system.ReplicaDir, top, "copy/sub/b")));
    }

    [Fact]
    public async Task A_file_a_daemon_keeps_open_arrives_while_it_is_still_open()
    {
        var log = $"daemon-{Mode}.log";
        // Appends a line every 100 ms for 8 s (longer than the watcher's 5 s maximum delay), then holds the
        // file open, unclosed, for a minute: no IN_CLOSE_WRITE ever comes.
        using var daemon = Process.Start(new ProcessStartInfo("bash",
            ["-c", $"exec 3>>{log}; for i in $(seq 1 80); do echo \"line $i\" >&3; sleep 0.1; done; sleep 60"])
        { WorkingDirectory = system.MasterDir })!;
        try
        {
            // While it writes, the replica shows a whole earlier version: complete lines, a prefix of the master's.
            var replica = Path.Combine(system.ReplicaDir, log);
            await Eventually.TrueAsync(() => File.Exists(replica) && new FileInfo(replica).Length > 0, Bound, "a version while it is written");
            var early = await File.ReadAllTextAsync(replica);
            Assert.False(File.ReadAllText(Master(log)).Contains("line 80\n", StringComparison.Ordinal) && early.Contains("line 80\n", StringComparison.Ordinal),
                "the first version in the replica came only after the last write");
            Assert.EndsWith("\n", early, StringComparison.Ordinal);
            Assert.StartsWith(early, File.ReadAllText(Master(log)), StringComparison.Ordinal);
            output.WriteLine($"first version [{Mode}] while written: {early.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length} of 80 lines");

            await Eventually.TrueAsync(() => File.ReadAllText(Master(log)).Contains("line 80\n", StringComparison.Ordinal), Bound, "the last line");
            await ConvergedAsync("a log still held open, from its last write");
            Assert.False(daemon.HasExited, "the daemon must still hold the file open");
        }
        finally
        {
            daemon.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Symlinks_are_mirrored_as_links_and_never_followed()
    {
        var top = $"symlinks-{Mode}";
        var outside = Path.Combine(system.Root, $"outside-{Mode}");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "secret"), "never in a replica\n");
        Sh($"""
            mkdir -p {top}/dir && printf 'x\n' > {top}/dir/file
            ln -s dir/file {top}/relative
            ln -s {outside} {top}/to-outside
            ln -s ../no/such/thing {top}/dangling
            ln -s dir {top}/to-dir
            """);
        await ConvergedAsync("relative, absolute, dangling and dir links");
        Assert.Equal(outside, new FileInfo(Path.Combine(system.ReplicaDir, top, "to-outside")).LinkTarget);

        Sh($"ln -sfn dir/other {top}/relative && rm {top}/dangling && rm {top}/to-dir && printf 'now a file\\n' > {top}/to-dir");
        await ConvergedAsync("retarget, delete, replace a link by a file");
        Sh($"touch -h -d '2001-02-03 04:05:06.123456789' {top}/relative");
        await ConvergedAsync("touch -h of a link");
        Assert.Equal(["secret"], Directory.GetFiles(outside).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Chmod_and_touch_reach_the_replica_as_attributes()
    {
        var top = $"attrs-{Mode}";
        Sh($"mkdir -p {top}/d && printf '#!/bin/sh\\necho hi\\n' > {top}/run.sh && printf 'secret\\n' > {top}/private && printf 'f\\n' > {top}/d/f");
        await ConvergedAsync("files to change");

        Sh($"chmod +x {top}/run.sh && chmod 600 {top}/private && chmod 750 {top}/d");
        await ConvergedAsync("chmod of files and a dir");
        Sh($"touch -d '2001-02-03 04:05:06.123456789' {top}/d/f && touch {top}/private");
        await ConvergedAsync("touch -d with nanoseconds, touch now");
    }

    [Fact]
    public async Task A_git_working_copy_stays_a_valid_repository_in_the_replica()
    {
        Tool.Require("git", "apt-get install git");
        var origin = Path.Combine(system.Root, $"origin-{Mode}");
        Directory.CreateDirectory(origin);
        const string Git = "git -c user.name=test -c user.email=test@example.invalid -c init.defaultBranch=main";
        Sh($"""
            {Git} init -q .
            mkdir -p bin docs && printf '#!/bin/sh\necho build\n' > bin/build && chmod +x bin/build
            printf 'readme\n' > docs/README && ln -s docs/README README && ln -s ../bin/build docs/build-link
            {Git} add -A && {Git} commit -qm first
            """, origin);

        var clone = $"repo-{Mode}";
        Sh($"{Git} clone -q {origin} {clone}");
        await ConvergedAsync("git clone");
        Sh($"""
            cd {clone}
            printf 'more\n' >> docs/README && {Git} commit -qam second
            {Git} checkout -qb feature && printf 'feature\n' > feature.txt && chmod 600 feature.txt && {Git} add -A && {Git} commit -qm feature
            {Git} checkout -q main && {Git} gc -q --prune=now
            """);
        await ConvergedAsync("commit, branch, checkout, gc");

        // A copy of the replica (git writes into .git even for status) is a valid repository with a clean tree.
        var copy = Path.Combine(system.Root, $"replica-copy-{Mode}");
        Sh($"cp -a {Path.Combine(system.ReplicaDir, clone)} {copy}");
        Sh("git fsck --full --strict", copy);
        Assert.Equal("", Sh("git status --porcelain", copy).Stdout);
        Assert.Contains("feature", Sh("git branch", copy).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_files_of_one_size_swapped_within_one_timestamp_tick_are_told_apart()
    {
        var top = $"swap-{Mode}";
        Sh($"mkdir -p {top} && printf 'AAAA' > {top}/a && printf 'BBBB' > {top}/b && touch -d '2020-01-01 00:00:00' {top}/a {top}/b");
        await ConvergedAsync("two files of one size and mtime");
        Sh($"mv {top}/a {top}/t && mv {top}/b {top}/a && mv {top}/t {top}/b");
        await ConvergedAsync("mv a t; mv b a; mv t b");
        Assert.Equal("BBBB", await File.ReadAllTextAsync(Path.Combine(system.ReplicaDir, top, "a")));
    }
}

[Collection(SystemCollection.Name)]
public sealed class RealProgramsInotifyTests(SyncSystemFixture system, ITestOutputHelper output) : RealProgramsTests(system, output);

/// <summary>The same system with the watcher polling (<c>--polling</c>), as on a bind mount without inotify.</summary>
public sealed class PollingSystemFixture() : EmbeddedSystemFixture("polling")
{
    protected override EmbeddedSystemOptions Configure(EmbeddedSystemOptions options) => options with { WatcherMode = "Polling" };
}

[CollectionDefinition(Name)]
public sealed class PollingCollection : ICollectionFixture<PollingSystemFixture>
{
    public const string Name = "polling";
}

[Collection(PollingCollection.Name)]
public sealed class RealProgramsPollingTests(PollingSystemFixture system, ITestOutputHelper output) : RealProgramsTests(system, output);
