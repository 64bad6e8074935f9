using System.Net;
using System.Net.Sockets;

namespace Dlopbox.Embedded;

/// <summary>Loopback ports for the processes the launcher starts.</summary>
public static class LocalPorts
{
    /// <summary>A port that was free a moment ago (the kernel's choice), so parallel runs do not collide.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Waits until something accepts connections on the port.</summary>
    public static async Task WaitOpenAsync(int port, TimeSpan timeout, Func<bool>? stillAlive, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (stillAlive is not null && !stillAlive())
                throw new InvalidOperationException($"The process that should listen on port {port} has exited.");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Nothing listened on port {port} within {timeout.TotalSeconds:0} s.");
            }
        }
    }
}
