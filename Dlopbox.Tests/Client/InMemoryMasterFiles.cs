using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dlopbox.Client.Replica;

namespace Dlopbox.Tests.Client;

/// <summary>The master's files held in memory, standing in for nginx behind <see cref="IMasterFileSource"/>.</summary>
internal sealed class InMemoryMasterFiles : IMasterFileSource
{
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Opened { get; } = new();

    /// <summary>When set, every open waits for it: lets a test hold downloads in flight.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public void Put(string path, byte[] content) => _files[path] = content;

    public async Task<MasterFile?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        Opened.Enqueue(path);
        if (Gate is { } gate)
            await gate.Task.WaitAsync(cancellationToken);
        return _files.TryGetValue(path, out var content)
            ? new MasterFile(new MemoryStream(content, writable: false), content.Length)
            : null;
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
