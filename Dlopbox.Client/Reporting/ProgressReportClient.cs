using System.Net.Http.Headers;
using System.Text.Json;
using Dlopbox.Contracts;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Reporting;

/// <summary>
/// Sends this client's progress to the Interface: <c>PUT /clients/{name}</c>, 204 when taken, with
/// <see cref="ClientOptions.Token"/> as the bearer token when one is set.
/// </summary>
internal sealed class ProgressReportClient(HttpClient http, IOptions<ClientOptions> options)
{
    private readonly AuthenticationHeaderValue? _authorization =
        options.Value.Token is { Length: > 0 } token ? new AuthenticationHeaderValue("Bearer", token) : null;

    public async Task PutAsync(string name, ClientProgress progress, CancellationToken cancellationToken)
    {
        // A few hundred bytes: serialized up front, so the request has a Content-Length rather than a chunked body.
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(progress, DlopboxJsonContext.Default.ClientProgress));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{WireNames.ClientsRoute}/{Uri.EscapeDataString(name)}") { Content = content };
        request.Headers.Authorization = _authorization;
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
