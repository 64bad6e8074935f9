using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dlopbox.Contracts;

/// <summary>Source-generated JSON for every wire type: camelCase, nulls omitted, unknown members rejected.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(EventBatch))]
[JsonSerializable(typeof(EventBatchAccepted))]
[JsonSerializable(typeof(ChangeRecord))]
[JsonSerializable(typeof(Snapshot))]
[JsonSerializable(typeof(LoggedEvent))]
[JsonSerializable(typeof(EventPage))]
[JsonSerializable(typeof(ClientProgress))]
[JsonSerializable(typeof(ClientStatus))]
[JsonSerializable(typeof(ClientsOverview))]
[JsonSerializable(typeof(LiveStatus))]
public sealed partial class DlopboxJsonContext : JsonSerializerContext;
