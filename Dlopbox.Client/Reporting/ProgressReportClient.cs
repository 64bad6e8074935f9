using System.Net.Http.Headers;
using System.Text.Json;
using Dlopbox.Contracts;

namespace Dlopbox.Client.Reporting;

/// <summary>Sends this client's progress to the Interface: <c>PUT /clients/{name}</c>, 204 when taken.</summary>
internal sealed class ProgressReportClient(HttpClient http)
{
    public async Task PutAsync(string name, ClientProgress progress, CancellationToken cancellationToken)
    {
        // A few hundred bytes: serialized up front, so the request has a Content-Length rather than a chunked body.
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(progress, DlopboxJsonContext.Default.ClientProgress));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var response = await http.PutAsync($"{WireNames.ClientsRoute}/{Uri.EscapeDataString(name)}", content, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
