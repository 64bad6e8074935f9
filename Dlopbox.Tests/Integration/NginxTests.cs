using System.Net;

namespace Dlopbox.Tests.Integration;

/// <summary>nginx serves the master dir, and nothing else, read-only.</summary>
[Collection(SystemCollection.Name)]
public sealed class NginxTests(SyncSystemFixture system) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(system.System.Files.BaseUrl) };

    private string Master(string relative) => Path.Combine(system.MasterDir, relative);

    [Fact]
    public async Task Serves_odd_names_by_their_escaped_segments()
    {
        Directory.CreateDirectory(Master("web/a #b"));
        await File.WriteAllTextAsync(Master("web/a #b/100% ?ü.txt"), "odd");
        var response = await _http.GetAsync("/files/" + Dlopbox.Contracts.PathRules.ToUrlPath("web/a #b/100% ?ü.txt"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("odd", await response.Content.ReadAsStringAsync());
        await system.AssertConvergedAsync();
    }

    [Fact]
    public async Task Does_not_follow_a_symlink_out_of_the_master_dir()
    {
        var outside = Path.Combine(system.Root, "outside-secret.txt");
        await File.WriteAllTextAsync(outside, "secret");
        File.CreateSymbolicLink(Master("link-out"), outside);
        try
        {
            var response = await _http.GetAsync("/files/link-out");
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            File.Delete(Master("link-out"));
        }
    }

    [Theory]
    [InlineData("/files/../state/logs/interface.log")]
    [InlineData("/files/%2e%2e/outside-secret.txt")]
    [InlineData("/files/..%2fstate%2flogs%2finterface.log")]
    [InlineData("/state/logs/interface.log")]
    public async Task Does_not_serve_outside_the_master_dir(string url)
    {
        // Raw request: HttpClient would normalize the dot segments away before sending them.
        var status = await RawGetStatusAsync(url);
        Assert.NotEqual(200, status);
    }

    private async Task<int> RawGetStatusAsync(string url)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, system.System.Files.Port);
        await using var stream = tcp.GetStream();
        var request = System.Text.Encoding.ASCII.GetBytes($"GET {url} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream);
        var statusLine = await reader.ReadLineAsync() ?? "";
        return int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Does_not_serve_dlopbox_files_and_is_read_only()
    {
        await File.WriteAllTextAsync(Master(".dlopbox-tmp-test"), "internal");
        try
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/files/.dlopbox-tmp-test")).StatusCode);
        }
        finally
        {
            File.Delete(Master(".dlopbox-tmp-test"));
        }
        var put = await _http.PutAsync("/files/put.txt", new StringContent("nope"));
        Assert.NotEqual(HttpStatusCode.OK, put.StatusCode);
        Assert.NotEqual(HttpStatusCode.Created, put.StatusCode);
        Assert.False(File.Exists(Master("put.txt")));
    }

    public void Dispose() => _http.Dispose();
}
