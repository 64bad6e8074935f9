using System.Net;
using Dlopbox.Contracts;

namespace Dlopbox.Client.Replica;

/// <summary>Reads master files from nginx (<c>http://nginx/files/…</c>), streaming: only headers are awaited here.</summary>
internal sealed class NginxFileSource(HttpClient http) : IMasterFileSource
{
    public async Task<MasterFile?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        var response = await http.GetAsync(WireNames.FilesPathPrefix + PathRules.ToUrlPath(path), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return null;
            }
            response.EnsureSuccessStatusCode();
            // Disposing the content stream releases the connection back to the pool.
            var content = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new MasterFile(content, response.Content.Headers.ContentLength);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
