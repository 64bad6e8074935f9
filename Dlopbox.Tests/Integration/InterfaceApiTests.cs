using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dlopbox.Contracts;

namespace Dlopbox.Tests.Integration;

/// <summary>Bad input to the real Interface gets a clear error and reaches nothing downstream.</summary>
[Collection(SystemCollection.Name)]
public sealed class InterfaceApiTests(SyncSystemFixture system) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(system.System.Interface.Url) };

    private Task<HttpResponseMessage> PostAsync(string body, string? token, bool expectContinue = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = expectContinue;
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return _http.SendAsync(request);
    }

    [Fact]
    public async Task No_token_or_a_wrong_token_gets_401()
    {
        const string body = """{"source":"t","events":[]}""";
        await ProblemJson.AssertAsync(await PostAsync(body, null), HttpStatusCode.Unauthorized);
        var wrong = await PostAsync(body, "not-the-token-at-all");
        await ProblemJson.AssertAsync(wrong, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", wrong.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task An_empty_batch_gets_202_with_the_streams_epoch_and_the_same_one_each_time()
    {
        var first = await PostAsync("""{"source":"t","events":[]}""", system.System.WatcherToken);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var accepted = await first.Content.ReadFromJsonAsync(DlopboxJsonContext.Default.EventBatchAccepted);
        Assert.Equal(0, accepted!.Accepted);
        Assert.False(string.IsNullOrEmpty(accepted.Epoch));
        var again = await (await PostAsync("""{"source":"t","events":[]}""", system.System.WatcherToken))
            .Content.ReadFromJsonAsync(DlopboxJsonContext.Default.EventBatchAccepted);
        Assert.Equal(accepted.Epoch, again!.Epoch);
    }

    [Fact]
    public async Task Malformed_json_gets_400_naming_the_field()
    {
        var problem = await ProblemJson.AssertAsync(await PostAsync("""{"source":"t","events":[{"kind":"explode","path":"x"}]}""", system.System.WatcherToken), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("$.events[0].kind", out _), problem.ToString());

        problem = await ProblemJson.AssertAsync(await PostAsync("not json", system.System.WatcherToken), HttpStatusCode.BadRequest);
        Assert.True(problem.TryGetProperty("errors", out _));
    }

    [Theory]
    [InlineData("../outside.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("a//b")]
    [InlineData(".dlopbox-tmp-1")]
    public async Task Paths_that_escape_or_are_not_normalized_get_400(string path)
    {
        var body = JsonSerializer.Serialize(new { source = "t", events = new[] { new { kind = "mkdir", path, isDir = true } } });
        var problem = await ProblemJson.AssertAsync(await PostAsync(body, system.System.WatcherToken), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("events[0].path", out _), problem.ToString());
    }

    [Fact]
    public async Task A_write_without_its_hash_gets_400()
    {
        const string body = """{"source":"t","events":[{"kind":"write","path":"f","size":1,"mtime":"2026-01-01T00:00:00Z","sha256":"XYZ"}]}""";
        var problem = await ProblemJson.AssertAsync(await PostAsync(body, system.System.WatcherToken), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("events[0].sha256", out _), problem.ToString());
    }

    [Fact]
    public async Task Too_many_events_or_too_many_bytes_get_413()
    {
        var events = string.Join(',', Enumerable.Range(0, 10_001).Select(i => $$"""{"kind":"mkdir","path":"d{{i}}","isDir":true}"""));
        await ProblemJson.AssertAsync(await PostAsync($$"""{"source":"t","events":[{{events}}]}""", system.System.WatcherToken), HttpStatusCode.RequestEntityTooLarge);

        // Expect: 100-continue lets the server refuse by Content-Length before the body is sent, as a careful client would.
        var huge = """{"source":"t","events":[],"pad":" """ + new string(' ', 33 * 1024 * 1024) + "\"}";
        await ProblemJson.AssertAsync(await PostAsync(huge, system.System.WatcherToken, expectContinue: true), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task The_snapshot_lists_what_the_master_has()
    {
        Directory.CreateDirectory(Path.Combine(system.MasterDir, "snap"));
        await File.WriteAllTextAsync(Path.Combine(system.MasterDir, "snap", "s.txt"), "snapshot me");
        await system.AssertConvergedAsync();

        using var snapshot = JsonDocument.Parse(await _http.GetStringAsync("/snapshot"));
        Assert.True(snapshot.RootElement.GetProperty("offset").GetInt64() >= 0);
        var entry = snapshot.RootElement.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("path").GetString() == "snap/s.txt");
        Assert.Equal(11, entry.GetProperty("size").GetInt64());
        Assert.Equal(64, entry.GetProperty("sha256").GetString()!.Length);
    }

    public void Dispose() => _http.Dispose();
}
