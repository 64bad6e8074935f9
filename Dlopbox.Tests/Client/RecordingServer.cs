using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dlopbox.Tests.Client;

/// <summary>One request as the server saw it.</summary>
internal sealed record RecordedRequest(string Method, string Path, string? ContentType, long? ContentLength, string Body, string? Authorization = null);

/// <summary>
/// A real Kestrel server on a free loopback port standing in for the Interface: it records every request and
/// answers from <see cref="Answers"/> (by "METHOD /path"), else 204.
/// </summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<RecordedRequest> _requests = Channel.CreateUnbounded<RecordedRequest>();

    private RecordingServer(WebApplication app) => _app = app;

    public ConcurrentDictionary<string, (int Status, string Body)> Answers { get; } = new();

    public string Url { get; private set; } = "";

    public static async Task<RecordingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new RecordingServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return server;
    }

    /// <summary>The next request; the timeout only guards against a hang, it is not what the test measures.</summary>
    public async Task<RecordedRequest> NextAsync() =>
        await _requests.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var request = new RecordedRequest(context.Request.Method, context.Request.Path, context.Request.ContentType, context.Request.ContentLength, body,
            context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null);
        if (Answers.TryGetValue($"{request.Method} {request.Path}", out var answer))
        {
            context.Response.StatusCode = answer.Status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.Body);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        await _requests.Writer.WriteAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
