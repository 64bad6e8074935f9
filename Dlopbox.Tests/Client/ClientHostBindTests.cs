using System.Net;
using System.Net.Sockets;
using Dlopbox.Client.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;

namespace Dlopbox.Tests.Client;

/// <summary>A port already taken: what Kestrel throws, and that the client tells it by type, not by its text.</summary>
public sealed class ClientHostBindTests : IDisposable
{
    private readonly TcpListener _taken = new(IPAddress.Loopback, 0);
    private readonly TempDirectory _dir = new();

    public ClientHostBindTests() => _taken.Start();

    private int TakenPort => ((IPEndPoint)_taken.LocalEndpoint).Port;

    public void Dispose()
    {
        _taken.Stop();
        _dir.Dispose();
    }

    [Fact]
    public async Task Kestrel_throws_an_IOException_around_AddressInUseException_around_the_socket_error()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{TakenPort}");
        await using var app = builder.Build();

        var thrown = await Assert.ThrowsAsync<IOException>(() => app.StartAsync());

        var inUse = Assert.IsType<AddressInUseException>(thrown.InnerException);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.IsType<SocketException>(inUse.InnerException).SocketErrorCode);
        Assert.True(ClientHost.IsAddressInUse(thrown));
    }

    [Fact]
    public void Other_IO_errors_are_not_a_taken_port()
    {
        Assert.False(ClientHost.IsAddressInUse(new IOException("Failed to bind to address http://x: something else")));
        Assert.False(ClientHost.IsAddressInUse(new IOException("x", new SocketException((int)SocketError.AccessDenied))));
        Assert.True(ClientHost.IsAddressInUse(new IOException("x", new SocketException((int)SocketError.AddressAlreadyInUse))));
    }

    [Fact]
    public async Task A_taken_port_stops_the_client_with_exit_code_1_and_says_to_choose_another()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await ClientCommandLine.InvokeAsync(
        [
            "--rabbit", "amqp://guest:guest@127.0.0.1:1/",
            "--interface", "http://127.0.0.1:1",
            "--files", "http://127.0.0.1:1",
            "--replica", _dir.Replica,
            "--state", _dir.State,
            "--name", "bind-test",
            "--urls", $"http://127.0.0.1:{TakenPort}",
        ], output, error);

        Assert.Equal(1, exitCode);
        Assert.Contains("address already in use", error.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Choose another with --urls.", error.ToString());
    }
}
