using System.Text.Json;
using Dlopbox.Contracts;
using Dlopbox.Interface.Api;

namespace Dlopbox.Tests.Telemetry;

/// <summary>The one wire addition of tracing: an optional W3C traceparent per change of a batch.</summary>
public sealed class TraceParentContractTests
{
    private const string Valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void A_change_without_trace_context_serializes_as_before()
    {
        var json = JsonSerializer.Serialize(new EventBatch { Source = "w", Events = [FileChange.Mkdir("a")] },
            DlopboxJsonContext.Default.EventBatch);
        Assert.DoesNotContain("traceParent", json);
    }

    [Fact]
    public void A_change_keeps_its_traceparent_on_the_wire()
    {
        var batch = new EventBatch { Source = "w", Events = [FileChange.Mkdir("a") with { TraceParent = Valid }] };
        var json = JsonSerializer.Serialize(batch, DlopboxJsonContext.Default.EventBatch);
        Assert.Contains($"\"traceParent\":\"{Valid}\"", json);
        Assert.Equal(Valid, JsonSerializer.Deserialize(json, DlopboxJsonContext.Default.EventBatch)!.Events[0].TraceParent);
    }

    [Theory]
    [InlineData(Valid)]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")]
    public void A_w3c_traceparent_is_accepted(string traceParent)
    {
        var batch = new EventBatch { Source = "w", Events = [FileChange.Mkdir("a") with { TraceParent = traceParent }] };
        Assert.Empty(EventBatchValidator.Validate(batch, maxFileSize: 1024));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")]
    public void Anything_else_is_refused_on_its_field(string traceParent)
    {
        var batch = new EventBatch { Source = "w", Events = [FileChange.Mkdir("a"), FileChange.Mkdir("b") with { TraceParent = traceParent }] };
        var errors = EventBatchValidator.Validate(batch, maxFileSize: 1024);
        Assert.Equal(["events[1].traceParent"], errors.Keys);
    }
}
