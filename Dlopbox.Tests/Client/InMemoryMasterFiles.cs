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

    private int _failingOpens;

    /// <summary>While above zero, each open fails as an unreachable nginx does, and counts it down.</summary>
    public int FailingOpens
    {
        get => Math.Max(Volatile.Read(ref _failingOpens), 0);
        set => Volatile.Write(ref _failingOpens, value);
    }

    public void Put(string path, byte[] content) => _files[path] = content;

    /// <summary>Answers like nginx asked for the first <paramref name="size"/> bytes: a longer file yields that prefix (206), a shorter one nothing (416).</summary>
    public async Task<MasterFile?> OpenReadAsync(string path, long size, CancellationToken cancellationToken)
    {
        Opened.Enqueue(path);
        if (Gate is { } gate)
            await gate.Task.WaitAsync(cancellationToken);
        if (Volatile.Read(ref _failingOpens) > 0 && Interlocked.Decrement(ref _failingOpens) >= 0)
            throw new HttpRequestException("the file server is away");
        if (!_files.TryGetValue(path, out var content))
            return null;
        if (size > 0 && content.Length < size)
            return new MasterFile(Stream.Null, content.Length);
        var length = size > 0 ? (int)size : content.Length;
        return new MasterFile(new MemoryStream(content, 0, length, writable: false), length);
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
