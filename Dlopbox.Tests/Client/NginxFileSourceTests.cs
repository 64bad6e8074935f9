using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dlopbox.Client.Replica;
using Dlopbox.Contracts;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dlopbox.Tests.Client;

/// <summary>The range request of a download: only the announced bytes are asked for.</summary>
public sealed class NginxFileSourceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ReplicaDirectory _replica;

    public NginxFileSourceTests() => _replica = new ReplicaDirectory(_dir.Replica, TestTelemetry.OwnWrites());

    public void Dispose()
    {
        _replica.Dispose();
        _dir.Dispose();
    }

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(answer(request));
        }
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, byte[] body, ContentRangeHeaderValue? range = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentRange = range;
        return new HttpResponseMessage(status) { Content = content };
    }

    private async Task<DownloadResult> Download(StubHandler handler, string path, byte[] announced)
    {
        var source = new NginxFileSource(new HttpClient(handler) { BaseAddress = new Uri("http://nginx/") });
        var downloader = new FileDownloader(source, _replica, NullLogger<FileDownloader>.Instance, TestTelemetry.Client());
        return await downloader.DownloadAsync(path, new ExpectedContent(announced.Length, new FileTime(1_700_000_000, 5), InMemoryMasterFiles.Sha256(announced)),
            CancellationToken.None);
    }

    [Fact]
    public async Task Asks_for_the_announced_bytes_and_takes_a_206()
    {
        var announced = Encoding.UTF8.GetBytes("first part");
        var handler = new StubHandler(_ => Answer(HttpStatusCode.PartialContent, announced, new ContentRangeHeaderValue(0, announced.Length - 1, 99)));

        var result = await Download(handler, "grows.log", announced);

        Assert.Equal(DownloadResult.Written, result);
        var range = Assert.Single(Assert.Single(handler.Requests).Headers.Range!.Ranges);
        Assert.Equal((0L, (long?)announced.Length - 1), (range.From!.Value, range.To));
        Assert.Equal("first part", await File.ReadAllTextAsync(_dir.InReplica("grows.log")));
    }

    [Fact]
    public async Task A_200_of_the_same_bytes_is_taken_too_and_an_empty_file_asks_no_range()
    {
        var handler = new StubHandler(request => Answer(HttpStatusCode.OK, request.RequestUri!.AbsolutePath.EndsWith("/empty") ? [] : "abc"u8.ToArray()));

        Assert.Equal(DownloadResult.Written, await Download(handler, "abc", "abc"u8.ToArray()));
        Assert.Equal(DownloadResult.Written, await Download(handler, "empty", []));

        Assert.Null(handler.Requests[1].Headers.Range);
    }

    [Fact]
    public async Task A_416_means_the_file_shrank_and_is_changed()
    {
        var handler = new StubHandler(_ => Answer(HttpStatusCode.RequestedRangeNotSatisfiable, [], new ContentRangeHeaderValue(3)));

        var result = await Download(handler, "shrank", "longer"u8.ToArray());

        Assert.Equal(DownloadResult.Changed, result);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Replica));
    }
}
