using System.Buffers;
using System.Security.Cryptography;

namespace Dlopbox.Watcher.FileSystem;

/// <summary>Streaming SHA-256 of a file's bytes, read sequentially with a 1 MiB buffer.</summary>
internal static class FileHasher
{
    private const int BufferSize = 1 << 20;

    /// <summary>Lower-case hex SHA-256 and the number of bytes hashed. Throws when the file cannot be read.</summary>
    public static async Task<(string Sha256, long Length)> HashAsync(string fullPath, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            // bufferSize 0: our own buffer is the only one; FileShare lets writers carry on while we read.
            await using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read,
                FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan | FileOptions.Asynchronous);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                length += read;
            }
            return (Convert.ToHexStringLower(hash.GetHashAndReset()), length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
