using Dlopbox.Contracts;
using Dlopbox.Interface.EventLog;
using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace Dlopbox.Interface.Extensions;

public static class EventLogServiceExtensions
{
    /// <summary>
    /// The event log: MongoDB when <c>ConnectionStrings:mongo</c> is set (deployments), otherwise the
    /// embedded SQLite file in <c>Interface:DataDir</c>; and the writer that fills it from the stream.
    /// </summary>
    public static IHostApplicationBuilder AddEventLog(this IHostApplicationBuilder builder)
    {
        var mongo = builder.Configuration.GetConnectionString(WireNames.MongoConnection);
        if (!string.IsNullOrWhiteSpace(mongo))
        {
            builder.Services.AddSingleton<IMongoClient>(_ => new MongoClient(mongo));
            builder.Services.AddSingleton<IEventLogStore>(sp =>
            {
                var database = MongoUrl.Create(mongo).DatabaseName is { Length: > 0 } name ? name : WireNames.EventLogDatabase;
                return new MongoEventLogStore(sp.GetRequiredService<IMongoClient>().GetDatabase(database));
            });
        }
        else
        {
            builder.Services.AddSingleton<IEventLogStore>(sp =>
                new SqliteEventLogStore(Path.Combine(sp.GetRequiredService<IOptions<InterfaceOptions>>().Value.DataDir, "eventlog.db")));
        }

        builder.Services.AddSingleton<EventLogWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventLogWriter>());
        builder.Services.AddHealthChecks().AddCheck<EventLogWriter>("event-log");
        return builder;
    }
}
