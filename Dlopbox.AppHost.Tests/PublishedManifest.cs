using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Dlopbox.AppHost.Tests;

/// <summary>
/// The model as Aspire's manifest publisher writes it (`--publisher manifest`): the built AppHost run once
/// per test class, as a user would, which needs no container engine and takes a few seconds.
/// </summary>
public sealed class PublishedManifest : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dlopbox-apphost-manifest-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));

    public JsonObject Resources { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        // The AppHost built beside this test project, in the same configuration (artifacts/bin/<project>/<config>).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Name;
        var appHost = Path.Combine(RepoRoot.Path, "artifacts", "bin", "Dlopbox.AppHost", configuration, "Dlopbox.AppHost.dll");
        Assert.True(File.Exists(appHost), $"{appHost} is missing: build Dlopbox.sln first");

        var manifest = Path.Combine(_dir, "manifest.json");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Projects.Dlopbox_AppHost.ProjectPath,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The manifest of appsettings.json's model: not of the local images and SQLite that ./dlopbox test
        // exports as Dlopbox__* for the tests that start the model.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Dlopbox__", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        foreach (var arg in new[] { appHost, "--publisher", "manifest", "--output-path", manifest, $"--Dlopbox:DataDir={Path.Combine(_dir, "data")}" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the manifest publisher did not finish within {Timeout}: {await stdout}{await stderr}");
        }
        Assert.True(process.ExitCode == 0, $"the manifest publisher failed ({process.ExitCode}): {await stdout}{await stderr}");
        Resources = JsonNode.Parse(await File.ReadAllTextAsync(manifest))!["resources"]!.AsObject();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    public JsonObject Resource(string name) => Resources[name]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"the manifest has no {name}");

    public IReadOnlyDictionary<string, string> Environment(string name) =>
        Resource(name)["env"]?.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>()) ?? [];

    public int TargetPort(string resource, string binding) => Resource(resource)["bindings"]![binding]!["targetPort"]!.GetValue<int>();
}
