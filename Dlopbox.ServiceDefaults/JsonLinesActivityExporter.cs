using System.Diagnostics;
using System.Text.Json;
using OpenTelemetry;

namespace Dlopbox.ServiceDefaults;

/// <summary>
/// Writes every finished span as one JSON line to a file. For tests only (see
/// <see cref="ServiceDefaultsExtensions.TraceFileVariable"/>): the services are separate processes, so an in-memory
/// exporter cannot be read from the test; a file can. Each export is flushed at once, so a reader sees
/// a span as soon as it ends (with <see cref="SimpleActivityExportProcessor"/>).
/// </summary>
public sealed class JsonLinesActivityExporter : BaseExporter<Activity>
{
    private readonly string _service;
    private readonly FileStream _file;
    private readonly Utf8JsonWriter _writer;

    public JsonLinesActivityExporter(string path, string service)
    {
        _service = service;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Appending keeps the spans of an earlier run of the same service (a restart in a test).
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _writer = new Utf8JsonWriter(_file, new JsonWriterOptions { SkipValidation = true });
    }

    public override ExportResult Export(in Batch<Activity> batch)
    {
        try
        {
            foreach (var activity in batch)
            {
                Write(activity);
                _writer.Flush();
                _writer.Reset();
                _file.WriteByte((byte)'\n');
            }
            _file.Flush();
            return ExportResult.Success;
        }
        catch (IOException)
        {
            return ExportResult.Failure;
        }
    }

    private void Write(Activity activity)
    {
        _writer.WriteStartObject();
        _writer.WriteString("service", _service);
        _writer.WriteString("source", activity.Source.Name);
        _writer.WriteString("name", activity.DisplayName);
        _writer.WriteString("kind", activity.Kind.ToString());
        _writer.WriteString("traceId", activity.TraceId.ToHexString());
        _writer.WriteString("spanId", activity.SpanId.ToHexString());
        // A parent in another process has no ParentId object here; the parent span id is what links them.
        _writer.WriteString("parentSpanId", activity.ParentSpanId == default ? null : activity.ParentSpanId.ToHexString());
        _writer.WriteString("start", activity.StartTimeUtc);
        _writer.WriteNumber("durationMs", activity.Duration.TotalMilliseconds);
        _writer.WriteString("status", activity.Status.ToString());
        _writer.WriteStartObject("tags");
        foreach (var (key, value) in activity.TagObjects)
            _writer.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
        _writer.WriteEndObject();
        _writer.WriteStartArray("links");
        foreach (var link in activity.Links)
        {
            _writer.WriteStartObject();
            _writer.WriteString("traceId", link.Context.TraceId.ToHexString());
            _writer.WriteString("spanId", link.Context.SpanId.ToHexString());
            _writer.WriteEndObject();
        }
        _writer.WriteEndArray();
        _writer.WriteEndObject();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writer.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }
}
