namespace Dlopbox.Contracts;

/// <summary>Names both ends of a hop must agree on. Kept here so that no service spells them twice.</summary>
public static class WireNames
{
    /// <summary>Default name of the RabbitMQ stream that carries <see cref="ChangeRecord"/>s.</summary>
    public const string EventStream = "dlopbox.events";

    /// <summary>Connection-string name of the broker (Aspire: <c>ConnectionStrings__rabbit</c>).</summary>
    public const string RabbitConnection = "rabbit";

    /// <summary>Connection-string name of the event log store (Aspire: <c>ConnectionStrings__mongo</c>).</summary>
    public const string MongoConnection = "mongo";

    /// <summary>Service-discovery name of the Interface (<c>services__interface__http__0</c>).</summary>
    public const string InterfaceService = "interface";

    /// <summary>Service-discovery name of nginx, which serves the master dir (<c>services__nginx__http__0</c>).</summary>
    public const string FilesService = "nginx";

    /// <summary>URL prefix under which nginx serves the master dir.</summary>
    public const string FilesPathPrefix = "/files/";

    /// <summary>Names starting with this belong to dlopbox (temp files, state) and are never synced nor served.</summary>
    public const string ReservedNamePrefix = ".dlopbox";

    /// <summary>Prefix of the temp files a client downloads into before renaming them into place.</summary>
    public const string TempFilePrefix = ".dlopbox-tmp-";

    public const string EventsRoute = "/events";

    public const string SnapshotRoute = "/snapshot";

    /// <summary>Clients report progress to <c>PUT /clients/{name}</c>; <c>GET /clients</c> lists them.</summary>
    public const string ClientsRoute = "/clients";

    /// <summary>Server-sent events: <c>change</c> per stream event, <c>status</c> every few seconds.</summary>
    public const string LiveRoute = "/live";

    /// <summary>Database of the event log in MongoDB.</summary>
    public const string EventLogDatabase = "dlopbox";
}
