using System.Text;
using Dlopbox.Client.Replica;
using Dlopbox.Contracts;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dlopbox.Tests.Client;

public sealed class FileDownloaderTests : IDisposable
{
    private static readonly DateTimeOffset Mtime = new DateTimeOffset(2024, 12, 24, 18, 30, 15, TimeSpan.Zero).AddTicks(1234567);

    private readonly TempDirectory _dir = new();
    private readonly InMemoryMasterFiles _master = new();
    private readonly ReplicaDirectory _replica;
    private readonly FileDownloader _downloader;

    public FileDownloaderTests()
    {
        _replica = new ReplicaDirectory(_dir.Replica, TestTelemetry.OwnWrites());
        _downloader = new FileDownloader(_master, _replica, NullLogger<FileDownloader>.Instance, TestTelemetry.Client());
    }

    public void Dispose()
    {
        _replica.Dispose();
        _dir.Dispose();
    }

    private static ExpectedContent Expect(byte[] content) => new(content.Length, Mtime, InMemoryMasterFiles.Sha256(content));

    [Fact]
    public async Task Writes_the_bytes_with_the_master_mtime_creating_parents()
    {
        var content = new byte[700_000];
        Random.Shared.NextBytes(content);
        _master.Put("deep/dir/file.bin", content);
        var target = _dir.InReplica("deep/dir/file.bin");

        var result = await _downloader.DownloadAsync("deep/dir/file.bin", Expect(content), CancellationToken.None);

        Assert.Equal(DownloadResult.Written, result);
        Assert.Equal(content, await File.ReadAllBytesAsync(target));
        Assert.Equal(Mtime.UtcDateTime, File.GetLastWriteTimeUtc(target));
        Assert.Equal(ContentState.Current, await _replica.CompareAsync("deep/dir/file.bin", content.Length, Mtime, null, null, CancellationToken.None));
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(target)!), path => Path.GetFileName(path).StartsWith(WireNames.TempFilePrefix));
    }

    [Fact]
    public async Task A_local_file_of_the_announced_size_and_mtime_but_other_bytes_is_not_current()
    {
        var content = "AAAA"u8.ToArray();
        _master.Put("swap/a", content);
        await _downloader.DownloadAsync("swap/a", Expect(content), CancellationToken.None);
        var other = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("BBBB"u8));

        // The bytes of another file of one size swapped in within one timestamp tick: size and mtime agree.
        Assert.Equal(ContentState.Differs, await _replica.CompareAsync("swap/a", 4, Mtime, null, other, CancellationToken.None));
        Assert.Equal(ContentState.Current, await _replica.CompareAsync("swap/a", 4, Mtime, null, Expect(content).Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task A_hash_mismatch_discards_the_download_and_keeps_the_old_file()
    {
        var old = _dir.WriteFile("f", "old content");
        _master.Put("f", Encoding.UTF8.GetBytes("new content"));

        var result = await _downloader.DownloadAsync("f", Expect(Encoding.UTF8.GetBytes("NEW CONTENT")), CancellationToken.None);

        Assert.Equal(DownloadResult.Changed, result);
        Assert.Equal("old content", await File.ReadAllTextAsync(old));
        Assert.Equal(["f"], Directory.GetFileSystemEntries(_dir.Replica).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_size_mismatch_discards_the_download()
    {
        _master.Put("f", Encoding.UTF8.GetBytes("longer than announced"));

        var result = await _downloader.DownloadAsync("f", Expect(Encoding.UTF8.GetBytes("short")), CancellationToken.None);

        Assert.Equal(DownloadResult.Changed, result);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Replica));
    }

    [Fact]
    public async Task A_file_gone_from_the_master_is_skipped()
    {
        var result = await _downloader.DownloadAsync("missing", Expect([1, 2, 3]), CancellationToken.None);

        Assert.Equal(DownloadResult.NotFound, result);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Replica));
    }

    [Fact]
    public async Task A_dir_in_the_way_is_replaced()
    {
        _dir.WriteFile("p/inner", "x");
        var content = Encoding.UTF8.GetBytes("now a file");
        _master.Put("p", content);

        var result = await _downloader.DownloadAsync("p", Expect(content), CancellationToken.None);

        Assert.Equal(DownloadResult.Written, result);
        Assert.Equal("now a file", await File.ReadAllTextAsync(_dir.InReplica("p")));
    }

    [Fact]
    public async Task An_empty_file_is_written()
    {
        _master.Put("empty", []);

        var result = await _downloader.DownloadAsync("empty", Expect([]), CancellationToken.None);

        Assert.Equal(DownloadResult.Written, result);
        Assert.Equal(0, new FileInfo(_dir.InReplica("empty")).Length);
    }
}
