namespace Dlopbox.Client.State;

/// <summary>Where the replica stands, as the readiness check reports it. Thread-safe.</summary>
internal sealed class ReplicaState
{
    private volatile bool _reconciled;
    private volatile bool _subscribed;

    /// <summary>The replica matches a snapshot, or resumed from a saved offset.</summary>
    public bool IsReconciled => _reconciled;

    /// <summary>The stream consumer is registered with the broker.</summary>
    public bool IsSubscribed => _subscribed;

    public bool IsReady => _reconciled && _subscribed;

    public void SetReconciled(bool value) => _reconciled = value;

    public void SetSubscribed(bool value) => _subscribed = value;
}
