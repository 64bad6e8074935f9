using System.Security.Cryptography;
using System.Text;

namespace Dlopbox.Embedded;

/// <summary>A RabbitMQ user with its permissions, as the definitions file loaded at boot declares it.</summary>
public sealed record BrokerUser(string Name, string Password, string Configure, string Write, string Read)
{
    /// <summary>The Interface: declares and appends to the stream (publishing goes through the default exchange), and follows it.</summary>
    public static BrokerUser Interface(string password) =>
        new("dlopbox-interface", password, Configure: @"^dlopbox\..*$", Write: @"^(dlopbox\..*|amq\.default)$", Read: @"^dlopbox\..*$");

    /// <summary>A client: may only read the stream (least privilege).</summary>
    public static BrokerUser Client(string password, string stream) =>
        new("dlopbox-client", password, Configure: "^$", Write: "^$", Read: "^" + System.Text.RegularExpressions.Regex.Escape(stream) + "$");

    public string AmqpUri(int port) =>
        $"amqp://{Uri.EscapeDataString(Name)}:{Uri.EscapeDataString(Password)}@127.0.0.1:{port}/";

    /// <summary>RabbitMQ's rabbit_password_hashing_sha256: base64(salt ‖ SHA-256(salt ‖ password)), 4-byte salt.</summary>
    public string PasswordHash()
    {
        var salt = RandomNumberGenerator.GetBytes(4);
        var salted = salt.Concat(Encoding.UTF8.GetBytes(Password)).ToArray();
        return Convert.ToBase64String(salt.Concat(SHA256.HashData(salted)).ToArray());
    }

    public static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
