using System.Diagnostics;

namespace Dlopbox.Tests.Telemetry;

/// <summary>
/// One change of the master is one trace across every process: watcher detect → HTTP POST → Interface
/// append and publish → stream delivery → client apply → nginx download, each span the child of the one before.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TraceTests(TracedSystemFixture system)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task One_file_change_is_one_connected_trace_from_watcher_to_client()
    {
        var name = $"traced-{Guid.NewGuid():N}.bin";
        var content = RandomBytes(4096);
        await File.WriteAllBytesAsync(Path.Combine(system.MasterDir, name), content);
        await WaitForReplicaFileAsync(name, content);

        // Spans are exported as each ends; the apply span ends just after the file is renamed into place.
        var trace = await WaitForTraceAsync(name, spans =>
            spans.Any(s => s is { Service: "Dlopbox.Client", Name: "apply write" })
            && spans.Any(s => s is { Service: "Dlopbox.Client", Source: "System.Net.Http", Kind: "Client" })
            && spans.Any(s => s is { Service: "Dlopbox.Interface", Kind: "Server" }));
        var dump = Describe(trace);

        // One tree: one root, the watcher's detect span; every other span's parent is in the trace.
        var roots = trace.Where(s => s.ParentSpanId is null).ToList();
        Assert.True(roots.Count == 1, $"expected one root:\n{dump}");
        var detect = roots[0];
        Assert.True(detect is { Service: "Dlopbox.Watcher", Source: "Dlopbox.Watcher", Name: "detect write" }, $"the root is not the watcher's detect span:\n{dump}");
        var byId = trace.ToDictionary(s => s.SpanId);
        foreach (var span in trace.Where(s => s.ParentSpanId is not null))
            Assert.True(byId.ContainsKey(span.ParentSpanId!), $"the parent of {span} is not in the trace:\n{dump}");

        // Every hop, each under the one before.
        var send = Single(trace, s => s is { Service: "Dlopbox.Watcher", Name: "send batch" }, dump);
        Assert.Equal(detect.SpanId, send.ParentSpanId);
        var post = Single(trace, s => s is { Service: "Dlopbox.Watcher", Source: "System.Net.Http", Kind: "Client" }, dump);
        Assert.Equal(send.SpanId, post.ParentSpanId);
        var server = Single(trace, s => s is { Service: "Dlopbox.Interface", Kind: "Server" }, dump);
        Assert.Equal(post.SpanId, server.ParentSpanId);
        var append = Single(trace, s => s is { Service: "Dlopbox.Interface", Source: "Dlopbox.Interface", Name: "append write" }, dump);
        Assert.Equal(detect.SpanId, append.ParentSpanId);
        Assert.Contains(server.SpanId, append.LinkedSpanIds);
        var publish = Single(trace, s => s is { Service: "Dlopbox.Interface", Source: "RabbitMQ.Client.Publisher", Kind: "Producer" }, dump);
        Assert.Equal(append.SpanId, publish.ParentSpanId);
        var apply = Single(trace, s => s is { Service: "Dlopbox.Client", Source: "Dlopbox.Client", Name: "apply write" }, dump);
        // Under RabbitMQ.Client's delivery span in the client when the library continues the trace there (7.2 does),
        // else right under the publish span.
        var deliver = trace.SingleOrDefault(s => s is { Service: "Dlopbox.Client", Source: "RabbitMQ.Client.Subscriber" });
        if (deliver is not null)
        {
            Assert.Equal(publish.SpanId, deliver.ParentSpanId);
            Assert.Equal(deliver.SpanId, apply.ParentSpanId);
        }
        else
        {
            Assert.Equal(publish.SpanId, apply.ParentSpanId);
        }
        Assert.Equal(name, apply.Tag("dlopbox.path"));
        Assert.Equal("written", apply.Tag("dlopbox.download.result"));
        var download = Single(trace, s => s is { Service: "Dlopbox.Client", Source: "System.Net.Http", Kind: "Client" }, dump);
        Assert.Equal(apply.SpanId, download.ParentSpanId);
        Assert.Contains(name, download.Tag("url.full") ?? "");
    }

    [Fact]
    public async Task Each_change_of_a_batch_keeps_its_own_trace()
    {
        var dir = $"burst-{Guid.NewGuid():N}";
        Directory.CreateDirectory(Path.Combine(system.MasterDir, dir));
        var files = Enumerable.Range(0, 20).Select(i => ($"{dir}/f{i}.bin", RandomBytes(512))).ToList();
        foreach (var (path, content) in files)
            await File.WriteAllBytesAsync(Path.Combine(system.MasterDir, path), content);
        foreach (var (path, content) in files)
            await WaitForReplicaFileAsync(path, content);

        foreach (var (path, _) in files)
        {
            var trace = await WaitForTraceAsync(path, spans => spans.Any(s => s is { Service: "Dlopbox.Client", Name: "apply write" }));
            var dump = Describe(trace);
            var detect = Single(trace, s => s.ParentSpanId is null, dump);
            Assert.Equal("Dlopbox.Watcher", detect.Service);
            var append = Single(trace, s => s is { Service: "Dlopbox.Interface", Name: "append write" }, dump);
            Assert.Equal(detect.SpanId, append.ParentSpanId);
            var apply = Single(trace, s => s is { Service: "Dlopbox.Client", Name: "apply write" }, dump);
            Assert.Equal(path, apply.Tag("dlopbox.path"));
        }
    }

    /// <summary>Polls the span files until the trace of the write of <paramref name="path"/> satisfies <paramref name="complete"/>; returns its spans.</summary>
    private async Task<List<SpanRecord>> WaitForTraceAsync(string path, Func<List<SpanRecord>, bool> complete)
    {
        var clock = Stopwatch.StartNew();
        List<SpanRecord> trace = [];
        while (true)
        {
            var spans = SpanLog.ReadAll(system.SpanDir);
            var detect = spans.FirstOrDefault(s => s is { Source: "Dlopbox.Watcher", Name: "detect write" } && s.Tag("dlopbox.path") == path);
            if (detect is not null)
            {
                trace = spans.Where(s => s.TraceId == detect.TraceId).ToList();
                if (complete(trace))
                    return trace;
            }
            if (clock.Elapsed > Deadline)
                Assert.Fail($"No complete trace of {path} within {Deadline.TotalSeconds:0} s; found:\n{Describe(trace)}");
            await Task.Delay(100);
        }
    }

    private Task WaitForReplicaFileAsync(string relative, byte[] content)
    {
        var target = Path.Combine(system.ReplicaDir, relative);
        return Eventually.TrueAsync(async () => File.Exists(target) && (await File.ReadAllBytesAsync(target)).AsSpan().SequenceEqual(content),
            Deadline, $"{relative} reached the replica");
    }

    private static SpanRecord Single(List<SpanRecord> trace, Func<SpanRecord, bool> match, string dump)
    {
        var found = trace.Where(match).ToList();
        Assert.True(found.Count == 1, $"expected exactly one such span, found {found.Count}:\n{dump}");
        return found[0];
    }

    private static string Describe(List<SpanRecord> trace) => trace.Count == 0 ? "(nothing)" : string.Join('\n', trace);

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
