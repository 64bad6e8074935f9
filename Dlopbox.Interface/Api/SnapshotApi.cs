using Dlopbox.Contracts;
using Dlopbox.Interface.Index;

namespace Dlopbox.Interface.Api;

/// <summary><c>GET /snapshot</c>: the master tree as of a stream offset, for clients that (re)start from nothing.</summary>
public static class SnapshotApi
{
    public static IEndpointRouteBuilder MapSnapshotApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(WireNames.SnapshotRoute, (MasterIndex index) =>
                TypedResults.Json(index.TakeSnapshot(), DlopboxJsonContext.Default.Snapshot))
            .WithName("GetSnapshot");
        return app;
    }
}
