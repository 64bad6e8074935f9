using Dlopbox.Contracts;

namespace Dlopbox.Client.State;

/// <summary>The last thing that went wrong, in one line, and when.</summary>
internal sealed record SyncError(string Message, DateTimeOffset At);

/// <summary>A consistent-enough read of one reconcile's counters (each is exact; together they may be a moment apart).</summary>
internal readonly record struct ReconcileCounters(
    int Generation, bool Active, long FilesDone, long FilesTotal, long BytesDone, long BytesTotal)
{
    public ReconcileProgress ToContract() => new()
    {
        FilesDone = FilesDone,
        FilesTotal = FilesTotal,
        // Skipped downloads are credited whole, a download read past its size is not: keep within the total.
        BytesDone = Math.Clamp(BytesDone, 0, BytesTotal),
        BytesTotal = BytesTotal,
    };
}

/// <summary>
/// Where this client stands, for its progress reports, <c>status.json</c> and the console: the phase, the
/// counters of the reconcile in progress, the last error. Written from the sync's hot paths (a download
/// adds its bytes chunk by chunk), so writes are single Interlocked/volatile operations, never locks;
/// readers poll it, and <see cref="Changed"/> wakes them when the phase changes or a reconcile starts or ends.
/// </summary>
internal sealed class SyncProgress(TimeProvider time)
{
    private int _phase = (int)ClientPhase.Starting;
    private int _generation;
    private int _active;
    private long _filesDone;
    private long _filesTotal;
    private long _bytesDone;
    private long _bytesTotal;
    private SyncError? _lastError;
    private long _repaired;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When this process started syncing.</summary>
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public ClientPhase Phase => (ClientPhase)Volatile.Read(ref _phase);

    public SyncError? LastError => Volatile.Read(ref _lastError);

    /// <summary>Completes at the next phase change or reconcile start/end; read it before reading the state it guards.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    public void SetPhase(ClientPhase phase)
    {
        if (Interlocked.Exchange(ref _phase, (int)phase) != (int)phase)
            SignalChanged();
    }

    /// <summary>A reconcile planned its downloads: from now on its counters are live.</summary>
    public void BeginReconcile(long files, long bytes)
    {
        Volatile.Write(ref _active, 0);
        Interlocked.Exchange(ref _filesDone, 0);
        Interlocked.Exchange(ref _bytesDone, 0);
        Interlocked.Exchange(ref _filesTotal, files);
        Interlocked.Exchange(ref _bytesTotal, bytes);
        Interlocked.Increment(ref _generation);
        Volatile.Write(ref _active, 1);
        SignalChanged();
    }

    /// <summary>Bytes of a reconcile download as they stream in (a large file moves the bar before it is complete).</summary>
    public void AddReconcileBytes(long bytes) => Interlocked.Add(ref _bytesDone, bytes);

    /// <summary>One reconcile download is over, whatever its result; <paramref name="uncountedBytes"/> is its size minus what it streamed.</summary>
    public void ReconcileFileDone(long uncountedBytes)
    {
        if (uncountedBytes != 0)
            Interlocked.Add(ref _bytesDone, uncountedBytes);
        Interlocked.Increment(ref _filesDone);
    }

    /// <summary>The reconcile finished or failed; its counters stay readable until the next one begins.</summary>
    public void EndReconcile()
    {
        Volatile.Write(ref _active, 0);
        SignalChanged();
    }

    public ReconcileCounters ReadReconcile() => new(
        Volatile.Read(ref _generation),
        Volatile.Read(ref _active) == 1,
        Interlocked.Read(ref _filesDone),
        Interlocked.Read(ref _filesTotal),
        Interlocked.Read(ref _bytesDone),
        Interlocked.Read(ref _bytesTotal));

    /// <summary>The counters while a reconcile runs, as reports carry them; null otherwise.</summary>
    public ReconcileProgress? Reconcile => ReadReconcile() is { Active: true } counters ? counters.ToContract() : null;

    /// <summary>Local changes to the replica put back since the start (drift repairs).</summary>
    public long Repaired => Interlocked.Read(ref _repaired);

    public void AddRepaired(long changes) => Interlocked.Add(ref _repaired, changes);

    /// <summary>Remembers <paramref name="message"/> as the last error (kept until the next one: reports show how old it is).</summary>
    public void RecordError(string message) => Volatile.Write(ref _lastError, new SyncError(message, time.GetUtcNow()));

    private void SignalChanged() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
