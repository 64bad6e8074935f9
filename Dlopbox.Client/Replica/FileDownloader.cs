using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using Dlopbox.Contracts;
using Dlopbox.FileSystem;
using Microsoft.Win32.SafeHandles;

namespace Dlopbox.Client.Replica;

/// <summary>What a file must hold to be accepted; null members are not checked. <see cref="Mode"/>: its permission bits (null: the umask's default).</summary>
internal readonly record struct ExpectedContent(long Size, FileTime? Mtime, string? Sha256, int? Mode = null);

internal enum DownloadResult
{
    /// <summary>The file is in place with the expected bytes and mtime.</summary>
    Written,

    /// <summary>The master no longer has the file (deleted or renamed since): a later event says what became of it.</summary>
    NotFound,

    /// <summary>The master's bytes differ from what was expected: the file changed again and a later event brings it.</summary>
    Changed,

    /// <summary>The server refused the file for good (a 4xx other than 404): retrying will not help.</summary>
    Rejected,
}

/// <summary>
/// Downloads one master file into place: streamed into a temp file beside the target while hashing,
/// checked against the expected size and SHA-256, given the master's mode and mtime on its fd, then renamed
/// over the target. Readers of the replica see the old file or the new one, never half of one. The temp
/// file and the rename go through the target's parent dir fd (see <see cref="ReplicaRoot"/>): never through a link.
/// </summary>
internal sealed partial class FileDownloader(
    IMasterFileSource source,
    ReplicaDirectory replica,
    ILogger<FileDownloader> logger,
    ClientTelemetry telemetry)
{
    private const int BufferSize = 256 * 1024;

    /// <summary>A read making no progress for this long is treated as a broken connection.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Throws on transient failures (network, 5xx, local I/O); the caller decides whether to retry.</summary>
    /// <remarks>Throws <see cref="UnsafePathException"/> when the path crosses a link in the replica.</remarks>
    public Task<DownloadResult> DownloadAsync(string path, ExpectedContent expected, CancellationToken cancellationToken) =>
        DownloadAsync(path, expected, onBytes: null, cancellationToken);

    /// <inheritdoc cref="DownloadAsync(string, ExpectedContent, CancellationToken)"/>
    /// <param name="onBytes">Called with each chunk's size as it arrives (on the downloading task), for progress displays.</param>
    public Task<DownloadResult> DownloadAsync(string path, ExpectedContent expected, Action<long>? onBytes, CancellationToken cancellationToken) =>
        DownloadAsync(path, expected, onBytes, resolved: null, cancellationToken);

    /// <inheritdoc cref="DownloadAsync(string, ExpectedContent, Action{long}?, CancellationToken)"/>
    /// <param name="resolved">The path's parent from <see cref="ReplicaDirectory.OpenExisting"/>, still the caller's; null: resolved (and created) here.</param>
    public async Task<DownloadResult> DownloadAsync(string path, ExpectedContent expected, Action<long>? onBytes, ReplicaEntry? resolved,
        CancellationToken cancellationToken)
    {
        MasterFile? file;
        try
        {
            file = await source.OpenReadAsync(path, expected.Size, cancellationToken);
        }
        catch (HttpRequestException ex) when (IsPermanent(ex.StatusCode))
        {
            LogRejected(logger, path, (int)ex.StatusCode!.Value);
            return DownloadResult.Rejected;
        }
        if (file is null)
        {
            LogGone(logger, path);
            return DownloadResult.NotFound;
        }

        await using (file)
        {
            if (file.Length is { } length && length != expected.Size)
            {
                LogMismatch(logger, path, "size", expected.Size.ToString(), length.ToString());
                return DownloadResult.Changed;
            }

            // Parents are created only now: a file gone from the master leaves no dirs behind.
            using var target = replica.OpenForWrite(path, resolved);
            var temp = ReplicaDirectory.NewTempName();
            try
            {
                long size;
                string sha256;
                // Created 0600 through the parent's fd, refusing any existing name; written at offsets we keep
                // (a FileStream would lseek to learn and to sync its position: three more syscalls a file).
                using (var output = target.Parent.CreateFile(temp, 0x180))
                {
                    (size, sha256) = await CopyAndHashAsync(file.Content, output, expected.Size, onBytes, cancellationToken);
                    telemetry.Downloaded(size);
                    if (size == expected.Size && (expected.Sha256 is not { } wanted || string.Equals(wanted, sha256, StringComparison.OrdinalIgnoreCase)))
                    {
                        // On the fd, before the rename: the file appears with its mode and mtime, never without.
                        FileModes.SetPermissions(output, expected.Mode ?? FileModes.DefaultFileMode);
                        if (expected.Mtime is { } mtime)
                            FileTimes.SetMtime(output, mtime);
                    }
                }
                if (size != expected.Size)
                {
                    LogMismatch(logger, path, "size", expected.Size.ToString(), size.ToString());
                    telemetry.Mismatch("size");
                    target.Parent.TryRemove(temp);
                    return DownloadResult.Changed;
                }
                if (expected.Sha256 is { } expectedHash && !string.Equals(expectedHash, sha256, StringComparison.OrdinalIgnoreCase))
                {
                    LogMismatch(logger, path, "sha256", expectedHash, sha256);
                    telemetry.Mismatch("sha256");
                    target.Parent.TryRemove(temp);
                    return DownloadResult.Changed;
                }
                replica.CommitTemp(path, target, temp);
                return DownloadResult.Written;
            }
            catch
            {
                // TryRemove reports rather than throws; a temp file it cannot remove, reconcile does.
                target.Parent.TryRemove(temp);
                throw;
            }
        }
    }

    /// <summary>Copies at most one byte more than expected: enough to know the file is not the one announced.</summary>
    private static async Task<(long Size, string Sha256)> CopyAndHashAsync(Stream content, SafeFileHandle output, long expectedSize, Action<long>? onBytes,
        CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            long total = 0;
            while (true)
            {
                stall.CancelAfter(StallTimeout);
                int read;
                try
                {
                    read = await content.ReadAsync(buffer.AsMemory(0, BufferSize), stall.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new IOException($"No data received for {StallTimeout.TotalSeconds:0} s");
                }
                if (read == 0)
                    break;
                total += read;
                onBytes?.Invoke(read);
                if (total > expectedSize)
                    break;
                hash.AppendData(buffer, 0, read);
                await RandomAccess.WriteAsync(output, buffer.AsMemory(0, read), total - read, cancellationToken);
            }
            return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsPermanent(HttpStatusCode? status) =>
        status is { } code && (int)code is >= 400 and < 500 && code is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests;

    [LoggerMessage(LogLevel.Debug, "Skipped {Path}: gone from the master (404); a later event says what became of it")]
    private static partial void LogGone(ILogger logger, string path);

    [LoggerMessage(LogLevel.Debug, "Discarded {Path}: {What} is {Actual}, expected {Expected}; the file changed again and a later event brings it")]
    private static partial void LogMismatch(ILogger logger, string path, string what, string expected, string actual);

    [LoggerMessage(LogLevel.Error, "Skipped {Path}: the file server refused it with status {StatusCode}")]
    private static partial void LogRejected(ILogger logger, string path, int statusCode);
}
