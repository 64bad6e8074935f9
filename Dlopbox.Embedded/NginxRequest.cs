using System.Globalization;

namespace Dlopbox.Embedded;

/// <summary>One line of the embedded nginx's access log: <c>$request_uri $status $body_bytes_sent "$http_user_agent"</c>.</summary>
public sealed record NginxRequest(string Uri, int Status, long BytesSent, string UserAgent)
{
    /// <summary>The wire path of a <c>/files/…</c> request (segments unescaped), or null for any other request.</summary>
    public string? FilePath => Uri.StartsWith(FilesPrefix, StringComparison.Ordinal)
        ? string.Join('/', Uri[FilesPrefix.Length..].Split('/').Select(System.Uri.UnescapeDataString))
        : null;

    private const string FilesPrefix = "/files/";

    public static NginxRequest? TryParse(string line)
    {
        // The URI is escaped by the client and the first three fields hold no spaces; the agent is quoted.
        var parts = line.Split(' ', 4);
        if (parts.Length < 3
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
            return null;
        var agent = parts.Length == 4 ? parts[3].Trim('"') : "";
        return new NginxRequest(parts[0], status, bytes, agent == "-" ? "" : agent);
    }
}
