using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dlopbox.Embedded;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace Dlopbox.Tests.Deployment;

/// <summary>
/// The local stand-in images (deploy/images/build.sh) run as the AppHost runs them: RabbitMQ through dlopbox's
/// entrypoint wrapper with its least-privilege users, nginx rendering dlopbox's template over a read-only master.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // Unix file modes for the bind-mounted master
public sealed class LocalImageTests(ITestOutputHelper output)
{
    private const string Stream = "dlopbox.events";
    private const string WrapperInContainer = "/opt/dlopbox/dlopbox-entrypoint.sh";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private static string Image(string repository) => LocalImages.Image(repository);

    [SkippableFact]
    public async Task RabbitMQ_stand_in_runs_the_wrapper_and_keeps_each_user_to_its_rights()
    {
        DockerEngine.SkipUnlessAvailable();
        var passwords = new Dictionary<string, string>
        {
            ["admin"] = Token(),
            ["dlopbox-interface"] = Token(),
            ["dlopbox-client"] = Token(),
        };
        using var rabbit = DockerContainer.Run("rabbitmq",
        [
            "--entrypoint", "bash",
            "-v", $"{Path.Combine(RepoLayout.Root, "deploy", "rabbitmq", "dlopbox-entrypoint.sh")}:{WrapperInContainer}:ro",
            "-e", "RABBITMQ_DEFAULT_USER=admin", "-e", $"RABBITMQ_DEFAULT_PASS={passwords["admin"]}",
            "-e", $"DLOPBOX_RABBITMQ_INTERFACE_PASSWORD={passwords["dlopbox-interface"]}",
            "-e", $"DLOPBOX_RABBITMQ_CLIENT_PASSWORD={passwords["dlopbox-client"]}",
            // Aspire's AddRabbitMQ pins the node name so a volume outlives the container's hostname.
            "-e", "RABBITMQ_NODENAME=rabbitmq@localhost",
            "-p", "127.0.0.1::5672",
        ], Image("rabbitmq"), [WrapperInContainer, "rabbitmq-server"]);
        try
        {
            var port = rabbit.HostPort(5672);
            ConnectionFactory Factory(string user) => new()
            {
                HostName = "127.0.0.1",
                Port = port,
                UserName = user,
                Password = passwords[user],
                ClientProvidedName = $"local-image-test-{user}",
            };

            await using var interfaceConnection = await ConnectWhenUpAsync(Factory("dlopbox-interface"));
            await using (var channel = await interfaceConnection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            {
                await channel.QueueDeclareAsync(Stream, durable: true, exclusive: false, autoDelete: false,
                    arguments: new Dictionary<string, object?> { ["x-queue-type"] = "stream" });
                await channel.BasicPublishAsync(string.Empty, Stream, mandatory: true,
                    new BasicProperties { DeliveryMode = DeliveryModes.Persistent }, Encoding.UTF8.GetBytes("event-1"));
            }

            await using var clientConnection = await Factory("dlopbox-client").CreateConnectionAsync();
            Assert.Equal("event-1", await ReadFirstAsync(clientConnection));

            await using (var channel = await clientConnection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            {
                await Assert.ThrowsAnyAsync<Exception>(async () =>
                    await channel.BasicPublishAsync(string.Empty, Stream, mandatory: true,
                        new BasicProperties(), Encoding.UTF8.GetBytes("forged")));
                await Eventually.TrueAsync(() => channel.CloseReason is not null, TimeSpan.FromSeconds(10), "the client's channel is closed by the broker");
                Assert.Equal(Constants.AccessRefused, channel.CloseReason!.ReplyCode);
            }

            // The wrapper's definitions replace the default user: there is no guest to log in as.
            var guest = await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() =>
                new ConnectionFactory { HostName = "127.0.0.1", Port = port, UserName = "guest", Password = "guest" }.CreateConnectionAsync());
            Assert.IsType<AuthenticationFailureException>(guest.InnerException);
        }
        catch
        {
            output.WriteLine(rabbit.Logs());
            throw;
        }
    }

    [SkippableFact]
    public async Task Nginx_stand_in_renders_the_template_and_serves_the_master_read_only()
    {
        DockerEngine.SkipUnlessAvailable();
        var master = Directory.CreateTempSubdirectory("dlopbox-image-master-");
        try
        {
            // Workers run as user nginx: the master must be readable by others, as it is with umask 022.
            File.SetUnixFileMode(master.FullName, (UnixFileMode)0b111_101_101);
            var bytes = RandomNumberGenerator.GetBytes(200_000);
            Directory.CreateDirectory(Path.Combine(master.FullName, "dir with space"));
            var file = Path.Combine(master.FullName, "dir with space", "a#b.bin");
            await File.WriteAllBytesAsync(file, bytes);
            File.SetUnixFileMode(file, (UnixFileMode)0b110_100_100);
            File.SetUnixFileMode(Path.Combine(master.FullName, "dir with space"), (UnixFileMode)0b111_101_101);
            // A target that exists inside the container, so only disable_symlinks can refuse it.
            File.CreateSymbolicLink(Path.Combine(master.FullName, "escape"), "/etc/passwd");

            using var nginx = DockerContainer.Run("nginx",
            [
                "-v", $"{Path.Combine(RepoLayout.Root, "nginx", "templates", "dlopbox.conf.template")}:/etc/nginx/templates/dlopbox.conf.template:ro",
                "-v", $"{master.FullName}:/www/data:ro",
                "-e", "DLOPBOX_NGINX_LISTEN=8080", "-e", "DLOPBOX_MASTER_DIR=/www/data", "-e", "NGINX_ENVSUBST_FILTER=^DLOPBOX_",
                "-p", "127.0.0.1::8080",
            ], Image("nginx"), []);
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{nginx.HostPort(8080)}") };
                await Eventually.TrueAsync(async () =>
                {
                    try
                    {
                        return (await http.GetStringAsync("/healthz")) == "ok\n";
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                }, StartTimeout, "nginx answers /healthz");

                Assert.Equal(bytes, await http.GetByteArrayAsync("/files/dir%20with%20space/a%23b.bin"));
                using var escape = await http.GetAsync("/files/escape");
                Assert.Equal(HttpStatusCode.Forbidden, escape.StatusCode);
                using var other = await http.GetAsync("/");
                Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
            }
            catch
            {
                output.WriteLine(nginx.Logs());
                throw;
            }
        }
        finally
        {
            master.Delete(recursive: true);
        }
    }

    private static string Token() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    // The node takes ~10-15 s to boot; until then the port refuses or the handshake fails.
    private static async Task<IConnection> ConnectWhenUpAsync(ConnectionFactory factory)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                return await factory.CreateConnectionAsync();
            }
            catch (BrokerUnreachableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task<string> ReadFirstAsync(IConnection connection)
    {
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, 10, false);
        var first = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            // Acked before the result is handed on: the caller then closes the channel.
            var body = Encoding.UTF8.GetString(delivery.Body.Span);
            await channel.BasicAckAsync(delivery.DeliveryTag, false);
            first.TrySetResult(body);
        };
        await channel.BasicConsumeAsync(Stream, autoAck: false, consumerTag: string.Empty, noLocal: false, exclusive: false,
            arguments: new Dictionary<string, object?> { ["x-stream-offset"] = "first" }, consumer);
        return await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
