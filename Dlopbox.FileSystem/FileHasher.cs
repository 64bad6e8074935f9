using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Dlopbox.FileSystem;

/// <summary>Streaming SHA-256 of the first bytes of an open file, read sequentially with a 1 MiB buffer.</summary>
public static class FileHasher
{
    private const int BufferSize = 1 << 20;

    /// <summary>
    /// Lower-case hex SHA-256 of the first <paramref name="length"/> bytes, or null when the file ends
    /// before them (it shrank). Bytes past <paramref name="length"/> are never read: a file growing
    /// meanwhile still gives the hash of the prefix that was measured.
    /// </summary>
    public static async Task<string?> HashPrefixAsync(SafeFileHandle file, long length, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long offset = 0;
            while (offset < length)
            {
                var wanted = (int)Math.Min(BufferSize, length - offset);
                var read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, wanted), offset, cancellationToken);
                if (read == 0)
                    return null;
                hash.AppendData(buffer, 0, read);
                offset += read;
            }
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
