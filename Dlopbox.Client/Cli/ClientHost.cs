using System.Net.Sockets;
using Dlopbox.Client.Extensions;
using Dlopbox.Client.Terminal;
using Dlopbox.ServiceDefaults;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Dlopbox.Client.Cli;

/// <summary>The client's service host: the same WebApplication as always, configured from the command line's values too.</summary>
internal static class ClientHost
{
    /// <summary>
    /// The client's own dir: its appsettings.json applies wherever it is started from (every deployment already
    /// started it there; a command line is started from anywhere).
    /// </summary>
    public static string ContentRoot => AppContext.BaseDirectory;

    /// <summary>
    /// The host builder with every usual configuration source (appsettings.json, environment variables,
    /// <paramref name="configArguments"/> as <c>--Section:Key=value</c>) and the command line's options over them.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] configArguments, IReadOnlyDictionary<string, string?> commandLine)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = configArguments, ContentRootPath = ContentRoot });
        ClientSettings.Apply(builder.Configuration, commandLine);
        return builder;
    }

    /// <summary>Runs the client until SIGTERM/Ctrl-C; 0 on a clean stop, 2 when the settings do not allow a start.</summary>
    public static async Task<int> RunAsync(WebApplicationBuilder builder, TextWriter error)
    {
        if (ClientSettings.Check(builder.Configuration) is { Count: > 0 } problems)
            return Refuse(error, problems);

        // Before the host builds its console logger, which keeps whatever Console.Out is then.
        var display = ConsoleDisplay.Create(builder.Configuration.GetValue<ProgressDisplay>(
            $"{ClientOptions.Section}:{nameof(ClientOptions.ProgressDisplay)}"));
        builder.Services.AddSingleton(display);
        builder.AddServiceDefaults();
        builder.AddApplicationServices();

        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        try
        {
            await app.StartAsync();
        }
        catch (OptionsValidationException ex)
        {
            return Refuse(error, ex.Failures.Select(ClientFlags.InOptionTerms));
        }
        catch (IOException ex) when (IsAddressInUse(ex))
        {
            // Kestrel's "Failed to bind to address …: address already in use." says it all.
            await error.WriteLineAsync($"{ClientCommandLine.CommandName}: {ex.Message} Choose another with {ClientFlags.Urls}.");
            return ExitCodes.Failed;
        }
        await app.WaitForShutdownAsync();
        return ExitCodes.Success;
    }

    /// <summary>
    /// Kestrel's failure to bind a port that is taken: an <see cref="IOException"/> around the transport's
    /// <see cref="AddressInUseException"/>, itself around the <see cref="SocketException"/> (the socket error
    /// alone is accepted too, should a transport not wrap it).
    /// </summary>
    public static bool IsAddressInUse(IOException exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
                return true;
        }
        return false;
    }

    /// <summary>Bad usage or settings: each problem on its own line, a pointer to the help, exit code 2.</summary>
    public static int Refuse(TextWriter error, IEnumerable<string> problems)
    {
        foreach (var problem in problems)
            error.WriteLine($"{ClientCommandLine.CommandName}: {problem}");
        error.WriteLine($"Run '{ClientCommandLine.CommandName} --help' for the options.");
        return ExitCodes.Usage;
    }
}

/// <summary>What the process exits with.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Could not run: a port taken, an unexpected error.</summary>
    public const int Failed = 1;

    /// <summary>
    /// Kestrel's failure to bind a port that is taken: an <see cref="IOException"/> around the transport's
    /// <see cref="AddressInUseException"/>, itself around the <see cref="SocketException"/> (the socket error
    /// alone is accepted too, should a transport not wrap it).
    /// </summary>
    public static bool IsAddressInUse(IOException exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
                return true;
        }
        return false;
    }

    /// <summary>Bad usage or settings: nothing was started.</summary>
    public const int Usage = 2;
}
