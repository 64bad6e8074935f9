using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Dlopbox.Contracts;
using Dlopbox.Embedded;
using RabbitMQ.Client;
using Xunit.Abstractions;
using static Dlopbox.Tests.Faults.FaultAssert;

namespace Dlopbox.Tests.Faults;

/// <summary>At-least-once everywhere: a batch posted twice, a stream message delivered twice, are harmless.</summary>
[Collection(FaultCollection.Name)]
public sealed class DuplicateDeliveryTests(FaultSystemFixture fixture, ITestOutputHelper output)
{
    private EmbeddedSystem System => fixture.System;

    [Fact]
    public async Task S10_The_same_batch_posted_twice_and_the_same_message_delivered_twice_change_nothing()
    {
        const string dir = "s10";
        Directory.CreateDirectory(fixture.Master(dir));
        await File.WriteAllTextAsync(fixture.Master($"{dir}/kept.txt"), "kept\n");
        await File.WriteAllTextAsync(fixture.Master($"{dir}/moved.txt"), "moved\n");
        await fixture.ConvergeAsync();
        File.Move(fixture.Master($"{dir}/moved.txt"), fixture.Master($"{dir}/moved-here.txt"));
        await fixture.ConvergeAsync();

        // What the watcher already sent, sent again: describing the master as it is.
        var replayed = new List<FileChange>
        {
            FileChange.Mkdir(dir),
            Describe($"{dir}/kept.txt", (size, mtime, sha) => FileChange.Write($"{dir}/kept.txt", size, mtime, sha)),
            Describe($"{dir}/moved-here.txt", (size, mtime, sha) => FileChange.MoveFile($"{dir}/moved.txt", $"{dir}/moved-here.txt", size, mtime, sha)),
            FileChange.Delete($"{dir}/never-was.txt", isDir: false),
        };
        var accessMark = System.Files.ReadAccessLog().Count;
        for (var i = 0; i < 2; i++)
            await PostAsync(replayed);
        for (var i = 0; i < 2; i++)
            await PublishAsync(replayed);
        // A change behind the duplicates: once it arrived, the duplicates were applied.
        await File.WriteAllTextAsync(fixture.Master($"{dir}/after.txt"), "after the duplicates\n");

        var clock = Stopwatch.StartNew();
        await fixture.ConvergeAsync();
        ConvergenceTimes.Record(output, "10 batch posted twice + message published twice", clock.Elapsed);

        foreach (var client in System.Clients)
            Assert.Equal([$"{dir}/after.txt"], DownloadsSince(System.Files, accessMark, client));
    }

    private FileChange Describe(string path, Func<long, FileTime, string, FileChange> create)
    {
        var info = new FileInfo(fixture.Master(path));
        using var stream = info.OpenRead();
        return create(info.Length, DiskTime.Mtime(info.FullName), Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    private async Task PostAsync(IReadOnlyList<FileChange> changes)
    {
        using var http = new HttpClient { BaseAddress = new Uri(System.Interface.Url) };
        using var request = new HttpRequestMessage(HttpMethod.Post, WireNames.EventsRoute)
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new EventBatch { Source = "duplicate-test", Events = changes }, DlopboxJsonContext.Default.EventBatch))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") },
            },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", System.WatcherToken);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task PublishAsync(IReadOnlyList<FileChange> changes)
    {
        var uri = System.Interface.Environment["ConnectionStrings__" + WireNames.RabbitConnection]!;
        await using var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        foreach (var change in changes)
        {
            var record = new ChangeRecord { Change = change, Source = "duplicate-test", ReceivedAt = DateTimeOffset.UtcNow };
            await channel.BasicPublishAsync(string.Empty, WireNames.EventStream, mandatory: true,
                new BasicProperties { DeliveryMode = DeliveryModes.Persistent },
                JsonSerializer.SerializeToUtf8Bytes(record, DlopboxJsonContext.Default.ChangeRecord));
        }
    }
}
