namespace Dlopbox.AppHost;

/// <summary>The AppHost's own settings, section <c>Dlopbox</c> (appsettings.json, --Dlopbox:…, Dlopbox__… variables).</summary>
public sealed class DlopboxSettings
{
    public const string Section = "Dlopbox";

    /// <summary>Root of the host dirs of run mode (master, replicas, state); relative to the AppHost's dir.</summary>
    public string DataDir { get; set; } = "../.dlopbox/aspire";

    /// <summary>Watcher__Mode: Inotify, or Polling where inotify sees no changes (Docker Desktop mounts).</summary>
    public string WatcherMode { get; set; } = "Inotify";

    /// <summary>Where the Interface keeps its event log: a MongoDB container, or its embedded SQLite file.</summary>
    public EventLogStore EventLog { get; set; } = EventLogStore.MongoDB;

    /// <summary>
    /// true: RabbitMQ and MongoDB keep their data in named Docker volumes, which outlive the run (as a user
    /// wants). false: in bind mounts under DataDir instead, so that a run (a test) leaves no volume behind.
    /// </summary>
    public bool DataVolumes { get; set; } = true;

    public ImageSettings Images { get; set; } = new();
}

public enum EventLogStore
{
    MongoDB,
    Sqlite,
}

/// <summary>The containers' images as <c>[registry/]image[:tag]</c>; appsettings.json names the official ones.</summary>
public sealed class ImageSettings
{
    public string? RabbitMQ { get; set; }

    public string? MongoDB { get; set; }

    public string? Nginx { get; set; }

    public static ContainerImage Require(string? reference, string key) =>
        string.IsNullOrWhiteSpace(reference)
            ? throw new InvalidOperationException($"Set {DlopboxSettings.Section}:Images:{key} to an image reference (appsettings.json names the official image)")
            : ContainerImage.Parse(reference);
}
