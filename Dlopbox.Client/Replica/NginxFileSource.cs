using System.Net;
using System.Net.Http.Headers;
using Dlopbox.Contracts;

namespace Dlopbox.Client.Replica;

/// <summary>
/// Reads master files from nginx (<c>http://nginx/files/…</c>), streaming: only headers are awaited here.
/// Asks for the announced bytes only (<c>Range: bytes=0-(size-1)</c>), so a file that grew since it was
/// announced still yields the announced version; a 206 or a plain 200 are read the same way and the hash decides.
/// </summary>
internal sealed class NginxFileSource(HttpClient http) : IMasterFileSource
{
    public async Task<MasterFile?> OpenReadAsync(string path, long size, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, WireNames.FilesPathPrefix + PathRules.ToUrlPath(path));
        if (size > 0)
            request.Headers.Range = new RangeHeaderValue(0, size - 1);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return null;
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // Shorter now than announced: "bytes */length" says how long; the size check makes it Changed.
                var length = response.Content.Headers.ContentRange?.Length ?? 0;
                response.Dispose();
                return new MasterFile(Stream.Null, length);
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
